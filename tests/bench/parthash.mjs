// What the per-part checksum costs in the WASM core, in Node: the part hasher fed SHA-256 + CRC32C
// (what the engine does for each part) vs CRC32C alone (verifyOnly) vs SHA-256 alone (Sha256).
// Decides SHA-256-per-part vs CRC32C: a second SHA-256 would double the hashing; a CRC adds little.
import { loadCoreNode } from 'vs3/node';

const core = await loadCoreNode();
const MiB = 1 << 20;
const size = Number(process.env.VS3_BENCH_MIB ?? 256) * MiB;
const buf = new Uint8Array(size);
let x = 1;
for (let i = 0; i < size; i++) buf[i] = (x = (Math.imul(x, 1664525) + 1013904223) >>> 0) >>> 24;

function run(label, make, feed, finish) {
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const h = make();
    const t0 = performance.now();
    for (let off = 0; off < size; off += 4 * MiB) {
      const n = Math.min(4 * MiB, size - off);
      h.buffer(n).set(buf.subarray(off, off + n));
      feed(h, n);
    }
    finish(h);
    best = Math.min(best, performance.now() - t0);
    h.delete();
  }
  console.log(`  ${label.padEnd(40)} ${(size / 1e6 / (best / 1000)).toFixed(1).padStart(8)} MB/s`);
}

console.log(`Node ${process.version} — WASM core per-part hashing over ${size / MiB} MiB (best of 3, MB/s = 10^6 B/s)`);
run(
  'SHA-256 alone (Sha256)',
  () => new core.Sha256(),
  (h, n) => h.update(n),
  (h) => h.digestHex(),
);
run(
  'CRC32C alone (PartHasher, verifyOnly)',
  () => new core.PartHasher(),
  (h, n) => h.update(n, true),
  (h) => h.endPart(),
);
run(
  'SHA-256 + CRC32C, one pass (PartHasher)',
  () => new core.PartHasher(),
  (h, n) => h.update(n, false),
  (h) => (h.endPart(), h.sha256Hex()),
);
