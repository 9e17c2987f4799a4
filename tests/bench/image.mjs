// Image benchmark (issue 8): a 12 MP JPEG (4000x3000, photo-like, made in the page once per run) to a
// 1920 px wide WebP at quality 80, in headless Chromium (driven over bare CDP, no network tracking),
// each contender in its own fresh module Worker, alternating order over VS3_BENCH_IMAGE_ROUNDS (3):
//   canvas   createImageBitmap + OffscreenCanvas drawImage (imageSmoothingQuality 'high') + convertToBlob
//   jsquash  @jsquash/jpeg decode + @jsquash/resize (lanczos3) + @jsquash/webp encode (quality 80)
//   vs3      processImage(blob, { maxWidth: 1920, format: 'webp', quality: 80 }) from js/dist/image/
//   (vs3-m3, opt-in through VS3_BENCH_IMAGE_CONTENDERS: the same with method 3, as Skia's encoder uses)
// In each worker: load (import + a 64x48 JPEG through the pipeline, so every WASM module is fetched,
// compiled and instantiated), then the 12 MP conversion twice — "first" (right after load) and "warm"
// — each timed in the worker from input Blob to output Blob. Memory: the worker's WebAssembly memories
// (sum of their final sizes = their peak), and the renderer process's peak RSS (VmHWM, reset through
// /proc/<pid>/clear_refs before each worker; 20 ms RSS sampling if that is refused) over its settled
// RSS just before the worker started. Every output must be a WebP that the browser decodes to
// 1920x1440 with a sane PSNR against the browser's own downscale, or the bench exits 1. Missed targets
// are printed, not failed.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { attachBenchPage, cpuSeconds, evaluate, findRenderer, launch, sampleRss, settledRss } from './cdp.mjs';
import { TYPES, fileUnder } from './static.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const env = process.env;
const rounds = Number(env.VS3_BENCH_IMAGE_ROUNDS ?? 3);
const names = (env.VS3_BENCH_IMAGE_CONTENDERS ?? 'canvas,jsquash,vs3')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const SRC = { width: 4000, height: 3000 };
const MAX_WIDTH = 1920;
const OUT = { width: 1920, height: 1440 };
const RUNS_PER_WORKER = 2; // first (right after load) + warm
const MIN_PSNR = 20; // dB against the browser's downscale: catches garbage, not filter differences
const MiB = 1 << 20;
const LABELS = {
  canvas: 'canvas (createImageBitmap + OffscreenCanvas)',
  jsquash: 'jSquash (jpeg + resize lanczos3 + webp)',
  vs3: 'vs3 processImage',
  'vs3-m3': 'vs3 processImage, method 3 (diagnostic)',
};
const VS3_ENTRY = path.join(root, 'js/dist/image/index.js');
for (const n of names) if (!LABELS[n]) throw new Error(`VS3_BENCH_IMAGE_CONTENDERS: unknown contender '${n}' (known: ${Object.keys(LABELS).join(', ')})`);

const nmVersion = (pkg) => {
  try {
    return JSON.parse(readFileSync(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
};

// ---------------------------------------------------------------- the server

const mounts = [
  ['/vs3/', path.join(root, 'js/dist/')],
  ['/bench/', path.join(here, 'image/')],
  ['/nm/@jsquash/', path.join(root, 'node_modules/@jsquash/')],
  ['/nm/wasm-feature-detect/', path.join(root, 'node_modules/wasm-feature-detect/')],
];
// Module workers cannot use import maps: the one bare import (in @jsquash/webp) is rewritten here.
const BARE = { 'wasm-feature-detect': '/nm/wasm-feature-detect/dist/esm/index.js' };
const PAGE = '<!doctype html><meta charset="utf-8"><title>vs3 image bench</title><script type="module" src="/bench/page.mjs"></script>';

/** URL path -> file on disk (for the WASM size table), or null. */
const fileFor = (pathname) => fileUnder(mounts, pathname);

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://x');
  if (pathname === '/') return res.writeHead(200, { 'content-type': TYPES['.html'] }).end(PAGE);
  const file = fileFor(pathname);
  if (!file) return res.writeHead(404).end();
  let body = readFileSync(file);
  const ext = path.extname(file);
  if ((ext === '.js' || ext === '.mjs') && pathname.startsWith('/nm/')) {
    let text = body.toString('utf8');
    for (const [bare, url] of Object.entries(BARE)) text = text.replaceAll(`from '${bare}'`, `from '${url}'`).replaceAll(`from "${bare}"`, `from "${url}"`);
    body = Buffer.from(text);
  }
  // no-store: every fresh worker fetches and compiles its WASM again (no HTTP or code cache).
  res.writeHead(200, { 'content-type': TYPES[ext] ?? 'application/octet-stream', 'cache-control': 'no-store' }).end(body);
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

// ---------------------------------------------------------------- renderer memory

/** Resets the process's peak RSS (VmHWM) to its current RSS; false if the kernel refuses. */
function resetPeak(pid) {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
function hwmBytes(pid) {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

// ---------------------------------------------------------------- the run

const vs3Available = existsSync(VS3_ENTRY);
const isVs3 = (n) => n.startsWith('vs3');
const active = names.filter((n) => !isVs3(n) || vs3Available);
const results = Object.fromEntries(active.map((n) => [n, []]));
let failed = false;
const info = {};
const loadavg = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
info.loadBefore = loadavg();
const browser = await launch(`${origin}/`);
try {
  const session = await attachBenchPage(browser);
  const renderer = findRenderer(browser.pid);
  await browser.send('HeapProfiler.enable', {}, session);
  const settle = () => settledRss(browser, session, renderer.pid);
  info.renderer = renderer;
  info.idle = await settle();
  info.source = await evaluate(browser, session, `bench.makeSource(${SRC.width}, ${SRC.height})`);
  info.afterSource = await settle();
  console.error(
    `  source: ${info.source.width}x${info.source.height} JPEG q0.9, ${(info.source.size / 1e6).toFixed(2)} MB, sha256 ${info.source.sha256.slice(0, 16)}…, made in ${(info.source.ms / 1000).toFixed(1)} s`,
  );

  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...active].reverse() : active;
    for (const name of order) {
      const start = await settle();
      const hwm = resetPeak(renderer.pid);
      const sampler = sampleRss(renderer.pid, 20);
      const cpu0 = cpuSeconds(renderer.pid);
      const t0 = performance.now();
      let out;
      try {
        out = await evaluate(browser, session, `bench.run(${JSON.stringify(name)}, ${MAX_WIDTH}, ${RUNS_PER_WORKER})`);
      } catch (e) {
        out = { error: String(e.message ?? e), runs: [] };
      }
      const wall = (performance.now() - t0) / 1000;
      const cpu = cpuSeconds(renderer.pid) - cpu0;
      const sampled = sampler.stop();
      const peak = hwm ? Math.max(hwmBytes(renderer.pid), sampled.peak) : sampled.peak;
      const row = { round: r + 1, ...out, start, peak, peakHow: hwm ? 'VmHWM' : `${sampled.samples} samples`, cpu, wall };
      if (!out.error) {
        const checks = await evaluate(browser, session, `bench.verify(${JSON.stringify(name)}, ${OUT.width}, ${OUT.height})`);
        row.checks = checks;
        const problems = checks.flatMap((c, i) =>
          [...c.problems, ...(c.psnr !== null && c.psnr < MIN_PSNR ? [`PSNR ${c.psnr.toFixed(1)} dB < ${MIN_PSNR}`] : [])].map((p) => `run ${i + 1}: ${p}`),
        );
        if (checks.length !== RUNS_PER_WORKER) problems.push(`${checks.length} outputs, expected ${RUNS_PER_WORKER}`);
        if (problems.length) row.error = `wrong output: ${problems.join('; ')}`;
      }
      if (row.error) failed = true;
      results[name].push(row);
      const [first, warm] = row.runs ?? [];
      console.error(
        `  round ${r + 1} ${name.padEnd(7)} ` +
          (row.error
            ? `FAILED: ${row.error}`
            : `load ${row.loadMs.toFixed(0)} ms, first ${first.ms.toFixed(0)} ms, warm ${warm.ms.toFixed(0)} ms` +
              (warm.stages
                ? ` (decode ${warm.stages.decode.toFixed(0)} + resize ${warm.stages.resize.toFixed(0)} + encode ${warm.stages.encode.toFixed(0)})`
                : '') +
              `, ${(warm.size / 1024).toFixed(1)} KiB, PSNR ${row.checks.map((c) => c.psnr.toFixed(1)).join('/')} dB`) +
          `; wasm memory ${(row.wasm?.bytes / MiB || 0).toFixed(1)} MiB${row.wasm?.count ? ` (${row.wasm.sizes.map((x) => `${path.basename(x.wasm)} ${(x.bytes / MiB).toFixed(1)}`).join(' + ')})` : ''}; renderer peak +${((peak - start) / MiB).toFixed(1)} MiB over start (+${((start - info.idle) / MiB).toFixed(1)} at start); renderer CPU ${cpu.toFixed(2)} s in ${wall.toFixed(2)} s`,
      );
    }
  }
  info.loadAfter = loadavg();
} finally {
  await browser.close();
  server.closeAllConnections?.();
  server.close();
}

// ---------------------------------------------------------------- the tables

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const mib = (b) => (b / MiB).toFixed(1);
const summary = {};
for (const n of active) {
  const rows = results[n].filter((r) => !r.error);
  if (!rows.length) continue;
  const warm = rows.map((r) => r.runs[1].ms);
  const first = rows.map((r) => r.runs[0].ms);
  summary[n] = {
    warmMedian: median(warm),
    warmMin: Math.min(...warm),
    firstMedian: median(first),
    loadMedian: median(rows.map((r) => r.loadMs)),
    size: rows.at(-1).runs[1].size,
    psnr: Math.min(...rows.flatMap((r) => r.checks.map((c) => c.psnr))),
    wasmMem: Math.max(...rows.map((r) => r.wasm?.bytes ?? 0)),
    wasmCount: Math.max(...rows.map((r) => r.wasm?.count ?? 0)),
    peak: Math.max(...rows.map((r) => r.peak - r.start)),
    cpuRatio: median(rows.map((r) => r.cpu / r.wall)),
    urls: [...new Set(rows.flatMap((r) => r.wasm?.urls ?? []))].sort(),
    stages: rows[0].runs[1].stages && Object.fromEntries(['decode', 'resize', 'encode'].map((k) => [k, median(rows.map((r) => r.runs[1].stages[k]))])),
  };
}

const version = browser.version.replace(/^(Headless)?Chrome\//, '');
const s = info.source;
console.log(
  `Images — Chromium ${version} (headless, --disable-gpu) — ${s.width}x${s.height} JPEG (q0.9, ${(s.size / 1e6).toFixed(2)} MB, sha256 ${s.sha256.slice(0, 12)}…) -> ${OUT.width}x${OUT.height} WebP q80; a fresh module worker per contender per round, ${rounds} round(s), alternating order`,
);
console.log(
  `  renderer pid ${info.renderer.pid} (${info.renderer.how}); idle RSS ${mib(info.idle)} MiB, ${mib(info.afterSource)} after making the source; ` +
    `@jsquash/jpeg ${nmVersion('@jsquash/jpeg')}, @jsquash/resize ${nmVersion('@jsquash/resize')}, @jsquash/webp ${nmVersion('@jsquash/webp')}; ` +
    `load average ${info.loadBefore} before, ${info.loadAfter ?? '?'} after (${os.cpus().length} cores)`,
);
const w = Math.max(...names.map((n) => LABELS[n].length), 9);
console.log(`  ${'contender'.padEnd(w)}  warm med ms  warm min ms  first ms  load ms  out KiB  PSNR dB  wasm mem MiB  renderer peak MiB  CPU/wall`);
for (const n of names) {
  const x = summary[n];
  if (isVs3(n) && !vs3Available) {
    console.log(`  ${LABELS[n].padEnd(w)}  SKIPPED: ${path.relative(root, VS3_ENTRY)} does not exist (vs3/image not built yet)`);
    continue;
  }
  if (!x) {
    console.log(`  ${LABELS[n].padEnd(w)}  FAILED: ${results[n].map((r) => r.error).join('; ')}`);
    continue;
  }
  console.log(
    `  ${LABELS[n].padEnd(w)}  ${x.warmMedian.toFixed(0).padStart(11)}  ${x.warmMin.toFixed(0).padStart(11)}  ${x.firstMedian.toFixed(0).padStart(8)}  ${x.loadMedian.toFixed(0).padStart(7)}  ${(
      x.size / 1024
    )
      .toFixed(1)
      .padStart(
        7,
      )}  ${x.psnr.toFixed(1).padStart(7)}  ${(x.wasmMem ? `${mib(x.wasmMem)} (${x.wasmCount})` : '—').padStart(12)}  ${mib(x.peak).padStart(17)}  ${x.cpuRatio.toFixed(2).padStart(8)}`,
  );
}
console.log(
  '  (warm: the 2nd 12 MP conversion in a worker, median/min over rounds; first: the 1st, right after load; load: import + compile + a 64x48 JPEG through the pipeline;',
);
console.log(
  "   PSNR: worst output vs the browser's own downscale of the source (a sanity check, not a quality ranking); wasm mem: final size of all WebAssembly memories in the worker (count);",
);
console.log(
  `   renderer peak: max over rounds of the renderer's peak RSS (${results[active[0]]?.[0]?.peakHow ?? '?'}) over its settled RSS before the worker started; CPU/wall: renderer CPU s / wall s over the worker's life, median)`,
);

const staged = active.filter((n) => summary[n]?.stages);
if (staged.length)
  console.log(
    `  warm stages, median ms: ${staged
      .map((n) => {
        const st = summary[n].stages;
        return `${n} decode ${st.decode.toFixed(0)} + resize ${st.resize.toFixed(0)} + encode ${st.encode.toFixed(0)}`;
      })
      .join('; ')} (canvas: Chromium may defer the draw into convertToBlob)`,
  );

// WASM modules each contender fetched, raw and gzip -9.
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const kib = (b) => (b / 1024).toFixed(1);
const sizeRows = [];
for (const n of active) {
  for (const url of summary[n]?.urls ?? []) {
    const file = fileFor(url);
    if (!file) continue;
    const buf = readFileSync(file);
    sizeRows.push({ n, name: path.relative(root, file).replace(/^node_modules\//, ''), raw: buf.length, gzip: gz(buf) });
  }
}
if (sizeRows.length) {
  const nw = Math.max(...sizeRows.map((r) => r.name.length));
  console.log(`  WASM modules fetched (KiB = 1024 B; raw / gzip -9):`);
  for (const n of active) {
    const rows = sizeRows.filter((r) => r.n === n);
    if (!rows.length) continue;
    for (const r of rows) console.log(`    ${n.padEnd(8)} ${r.name.padEnd(nw)}  ${kib(r.raw).padStart(7)}  ${kib(r.gzip).padStart(7)}`);
    if (rows.length > 1)
      console.log(
        `    ${n.padEnd(8)} ${'total'.padEnd(nw)}  ${kib(rows.reduce((a, r) => a + r.raw, 0)).padStart(7)}  ${kib(rows.reduce((a, r) => a + r.gzip, 0)).padStart(7)}`,
      );
  }
}

const { vs3, jsquash, canvas } = summary;
if (vs3 && jsquash && canvas) {
  const rj = vs3.warmMedian / jsquash.warmMedian;
  const rc = vs3.warmMedian / canvas.warmMedian;
  console.log(
    `  target (warm medians): vs3 ≤ 1/3 of jSquash's time: ${rj <= 1 / 3 ? 'yes' : 'no'} (${rj.toFixed(2)}); vs3 ≤ canvas: ${rc <= 1 ? 'yes' : 'no'} (${rc.toFixed(2)})`,
  );
  const fj = vs3.firstMedian / jsquash.firstMedian;
  const fc = vs3.firstMedian / canvas.firstMedian;
  console.log(
    `  same on first conversions:   vs3 ≤ 1/3 of jSquash's time: ${fj <= 1 / 3 ? 'yes' : 'no'} (${fj.toFixed(2)}); vs3 ≤ canvas: ${fc <= 1 ? 'yes' : 'no'} (${fc.toFixed(2)})`,
  );
} else {
  console.log("  target: vs3 ≤ 1/3 of jSquash's time and ≤ canvas: not checked (a contender is missing)");
}
if (failed) {
  console.log('  SOME CONTENDERS PRODUCED WRONG OUTPUT OR FAILED (see above)');
  process.exitCode = 1;
}
