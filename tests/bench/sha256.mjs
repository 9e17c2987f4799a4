// SHA-256 throughput of the vs3 WASM core beside hash-wasm and WebCrypto, on one shared buffer.
// Environment-agnostic: imported by the Node runner (node.mjs) and by the browser worker (worker.mjs).
// The caller passes the already-loaded implementations, so the same code measures in both places.

export const MiB = 1 << 20;

/** Deterministic pseudo-random bytes (crypto.getRandomValues is capped at 64 KiB per call). */
export function fillBuffer(size) {
  const buf = new Uint8Array(size);
  const words = new Uint32Array(buf.buffer, 0, size >>> 2);
  let x = 0x9e3779b9;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  return buf;
}

const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * impls: { name: async (buf) => hexDigest }. Each runs `rounds` times on the same buffer after one
 * warm-up pass over 16 MiB; returns [{ name, mbps (best), median, digest }] with MB = 10^6 bytes.
 */
export async function measure(impls, buf, { rounds = 3, now = () => performance.now() } = {}) {
  const out = [];
  const warm = buf.subarray(0, Math.min(buf.length, 16 * MiB));
  for (const [name, fn] of Object.entries(impls)) {
    await fn(warm);
    const speeds = [];
    let digest = '';
    for (let r = 0; r < rounds; r++) {
      const t0 = now();
      digest = await fn(buf);
      const sec = (now() - t0) / 1000;
      speeds.push(buf.length / sec / 1e6);
    }
    speeds.sort((a, b) => a - b);
    out.push({ name, mbps: speeds[speeds.length - 1], median: speeds[speeds.length >> 1], digest });
  }
  return out;
}

/** The three contenders every environment has. chunk: bytes per update() for the streaming ones. */
export function standardImpls({ CoreHasher, core, hashwasm, subtle, chunk = 4 * MiB }) {
  return {
    'vs3 WASM core (streaming)': async (buf) => {
      const h = new CoreHasher(core, 'sha256');
      try {
        for (let off = 0; off < buf.length; off += chunk) h.update(buf.subarray(off, Math.min(buf.length, off + chunk)));
        return h.digestHex();
      } finally {
        h.dispose();
      }
    },
    'hash-wasm 4 (streaming)': async (buf) => {
      const h = await hashwasm.createSHA256();
      h.init();
      for (let off = 0; off < buf.length; off += chunk) h.update(buf.subarray(off, Math.min(buf.length, off + chunk)));
      return h.digest('hex');
    },
    'WebCrypto subtle.digest (one-shot)': async (buf) => hex(await subtle.digest('SHA-256', buf)),
  };
}

export function formatTable(title, results, sizeMiB) {
  const w = Math.max(...results.map((r) => r.name.length));
  const lines = [`${title} — SHA-256 over the same ${sizeMiB} MiB buffer (MB/s = 10^6 bytes/s; best / median)`];
  for (const r of results) {
    lines.push(`  ${r.name.padEnd(w)}  ${r.mbps.toFixed(1).padStart(8)} MB/s  ${r.median.toFixed(1).padStart(8)} MB/s  ${r.digest.slice(0, 16)}…`);
  }
  const digests = new Set(results.map((r) => r.digest));
  lines.push(digests.size === 1 ? '  all digests agree' : `  DIGESTS DIFFER: ${[...digests].join(' ')}`);
  return lines.join('\n');
}
