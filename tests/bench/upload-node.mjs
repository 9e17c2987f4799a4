// Node client benchmark: peak RSS (and time) of createNodeUploader uploading generated files of
// VS3_BENCH_NODE_GIB GiB (default "1,6") through the vs3 handler with the local driver (localStorage +
// fsStore in a temporary directory, deleted after each size). The handler runs here; the client runs in
// a child process (tests/js/fixtures/upload-child.mjs) so its RSS is measured alone. The generated source
// (tests/js/fixtures/generated.mjs) makes bytes per slice, holding nothing; VS3_BENCH_NODE_SOURCES picks its
// flavour(s): "readInto" (default: like vs3/node's fileSource, part buffers recycled) and/or "slice"
// (only slice().arrayBuffer(): a new buffer per part, freed by the garbage collector).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { rmSync, statSync, statfsSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { getRequestListener } from '@hono/node-server';
import { fsStore } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';
import { generatedSha256 } from '../js/fixtures/generated.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const GiB = 2 ** 30;
const sizesGiB = (process.env.VS3_BENCH_NODE_GIB ?? '1,6')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const sources = (process.env.VS3_BENCH_NODE_SOURCES ?? 'readInto')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const base = process.env.VS3_BENCH_TMPDIR ?? tmpdir();
const TARGET_MIB = 128;

const live = new Set();
const cleanup = () => {
  for (const d of live) rmSync(d, { recursive: true, force: true });
  live.clear();
};
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => (cleanup(), process.exit(130)));

function freeBytes(dir) {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

/** Runs the child; resolves with its JSON line. */
function runChild(endpoint, size, mode) {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [path.join(here, '../js/fixtures/upload-child.mjs'), endpoint, String(size), 'bench', mode],
      { maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        const line = stdout.trim().split('\n').at(-1);
        try {
          resolve(JSON.parse(line));
        } catch {
          resolve({ error: { code: 'child_failed', message: `${err?.message ?? ''} ${stderr.slice(-500)}` } });
        }
      },
    );
  });
}

const rows = [];
let failed = false;
const shaCache = new Map();
for (const gib of sizesGiB) {
  const size = Math.round(gib * GiB);
  // Parts on disk, then the assembled object: about twice the size, plus a margin.
  const need = 2.2 * size;
  const free = freeBytes(base);
  if (free < need) {
    rows.push({ gib, mode: '-', skipped: `needs ${(need / GiB).toFixed(1)} GiB free in ${base}, has ${(free / GiB).toFixed(1)}` });
    continue;
  }
  for (const mode of sources) {
    const dir = await mkdtemp(path.join(base, 'vs3-bench-node-'));
    live.add(dir);
    const secret = randomBytes(32).toString('hex');
    const handler = createHandler({ secret, storage: localStorage({ store: fsStore(dir), secret }), routes: { bench: defineRoute({ maxFileSize: '50GiB' }) } });
    const server = http.createServer(getRequestListener(handler));
    server.requestTimeout = 0;
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const out = await runChild(`http://127.0.0.1:${server.address().port}/api/vs3`, size, mode);
      const row = { gib, mode, ...out };
      if (!out.error) {
        let stored = -1;
        try {
          stored = statSync(path.join(dir, 'objects', out.result.key)).size;
        } catch {
          /* missing */
        }
        if (!shaCache.has(size)) shaCache.set(size, generatedSha256(size));
        const sha = shaCache.get(size);
        if (stored !== size || out.result.size !== size) row.error = { message: `stored ${stored} bytes (client said ${out.result.size}), expected ${size}` };
        else if (out.result.sha256 !== sha) row.error = { message: `client's SHA-256 ${out.result.sha256} differs from the generator's ${sha}` };
      }
      if (row.error) failed = true;
      rows.push(row);
      console.error(
        `  ${gib} GiB ${mode}: ${row.error ? `FAILED ${row.error.message}` : `${(out.ms / 1000).toFixed(1)} s, peak RSS ${out.maxRssMiB.toFixed(1)} MiB`}`,
      );
    } finally {
      server.closeAllConnections?.();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
      live.delete(dir);
    }
  }
}

const label = (r) =>
  `${r.gib} GiB, generated source${sources.length > 1 || r.mode !== 'readInto' ? ` (${r.mode === 'readInto' ? 'readInto, like fileSource' : 'slice() only'})` : ''}`;
const w = Math.max(24, ...rows.map((r) => label(r).length));
console.log(`Node ${process.version} — createNodeUploader -> vs3 handler (local driver, fsStore in ${base}) on 127.0.0.1; client alone in a child process`);
console.log(`  ${'upload'.padEnd(w)}    time s       MB/s   client peak RSS   RSS before upload`);
for (const r of rows) {
  if (r.skipped) {
    console.log(`  ${`${r.gib} GiB`.padEnd(w)}  skipped: ${r.skipped}`);
    continue;
  }
  if (r.error) {
    console.log(`  ${label(r).padEnd(w)}  FAILED: ${r.error.code ?? ''} ${r.error.message}`);
    continue;
  }
  const size = r.gib * GiB;
  console.log(
    `  ${label(r).padEnd(w)}  ${(r.ms / 1000).toFixed(1).padStart(8)}  ${(size / 1e6 / (r.ms / 1000)).toFixed(1).padStart(9)}  ${r.maxRssMiB.toFixed(1).padStart(12)} MiB  ${r.startRssMiB.toFixed(1).padStart(13)} MiB`,
  );
}
const measured = rows.filter((r) => !r.skipped && !r.error);
if (measured.length) {
  const worst = Math.max(...measured.map((r) => r.maxRssMiB));
  console.log(`  (MB/s = 10^6 bytes/s, including the handler writing parts and assembling the object on the same 2 cores; peak RSS = the child's maxRSS)`);
  console.log(
    `  target: Node client peak RSS <= ${TARGET_MIB} MiB at any size: worst ${worst.toFixed(1)} MiB — ${worst <= TARGET_MIB ? 'met' : `MISSED by ${(worst - TARGET_MIB).toFixed(1)} MiB`}`,
  );
}
if (failed) {
  console.log('  SOME UPLOADS FAILED (see above)');
  process.exitCode = 1;
}
cleanup();
