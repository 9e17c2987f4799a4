// Browser upload benchmark: one generated file (VS3_BENCH_UPLOAD_MIB, default 1024 MiB) uploaded from
// headless Chromium to S3-compatible storage (Ceph RGW on loopback in scripts/bench.sh) by three
// contenders in the same page, in alternating order over VS3_BENCH_UPLOAD_ROUNDS rounds (default 2):
//   vs3      createUploader({ endpoint }).upload(file, { route }) — js/dist served over HTTP, the handler
//            (s3Storage) in this process on the page's origin
//   raw PUT  one presigned PUT of the whole file (signed here with aws4fetch)
//   sdk      @aws-sdk/lib-storage Upload, queueSize 4, bundled for the browser with esbuild, straight to
//            storage with the test credentials
// Each upload is timed in the page (performance.now()); the page's renderer process RSS is sampled from
// here every 50 ms and reported as peak minus the idle RSS measured before the file was generated.
// Every object's size is checked on storage (HEAD) before it counts, then deleted.
// Needs VS3_S3_ENDPOINT, VS3_S3_ACCESS_KEY_ID, VS3_S3_SECRET_ACCESS_KEY (scripts/rgw.sh prints them).
import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, existsSync, readFileSync, readdirSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { getRequestListener } from '@hono/node-server';
import { AwsClient } from 'aws4fetch';
import * as esbuild from 'esbuild';
import { ensureBucket, s3OptionsFromEnv } from 'vs3/node';
import { createHandler, defineRoute, s3Storage } from 'vs3/server';
import { attachBenchPage, cpuSeconds, descendants, evaluate, findRenderer, launch, rssBytes, sampleRss, settledRss } from './cdp.mjs';
import { TYPES, fileUnder } from './static.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');
const env = process.env;
const sizeMiB = Number(env.VS3_BENCH_UPLOAD_MIB ?? 1024);
const rounds = Number(env.VS3_BENCH_UPLOAD_ROUNDS ?? 2);
const names = (env.VS3_BENCH_UPLOAD_CONTENDERS ?? 'vs3,raw,sdk')
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const diagnose = env.VS3_BENCH_UPLOAD_DIAG !== '0'; // also time vs3's read+hash alone (no upload)
// Extra createUploader options for experiments, as JSON (e.g. '{"hashAhead":1}'); default none.
const vs3Options = env.VS3_BENCH_VS3_OPTIONS ? JSON.parse(env.VS3_BENCH_VS3_OPTIONS) : {};
// Diagnostic: this many ms into each upload, force a garbage collection in the page (not its workers)
// and print the renderer RSS before and after — how much of the peak is garbage not yet collected.
const gcProbeMs = Number(env.VS3_BENCH_GC_PROBE_MS ?? 0);
const sdkChecksum = env.VS3_BENCH_SDK_CHECKSUM || undefined; // WHEN_SUPPORTED (SDK default) | WHEN_REQUIRED
const MiB = 1 << 20;
const size = sizeMiB * MiB;
const LABELS = {
  vs3: 'vs3 (createUploader, workers + XHR)',
  raw: 'raw presigned single PUT',
  sdk: '@aws-sdk/lib-storage (queueSize 4)',
};
const TARGET_RATIO = 1.1;
const TARGET_MEM_MIB = 80;

const s3 = s3OptionsFromEnv(env, env.VS3_BENCH_BUCKET ?? 'vs3-bench');
if (!s3) {
  console.log('browser upload benchmark skipped: VS3_S3_ENDPOINT is not set (scripts/bench.sh starts Ceph RGW itself)');
  process.exit(0);
}
const driver = s3Storage(s3);

// RGW keeps deleted objects' data until its garbage collector runs (hours by default); with a
// memory-backed OSD of a few GiB, 1 GiB objects must be collected between uploads.
function rgwConf() {
  if (env.VS3_BENCH_RGW_CONF) return env.VS3_BENCH_RGW_CONF;
  const conf = path.join(root, '.rgw/ceph.conf');
  const port = new URL(s3.endpoint).port;
  if (existsSync(conf) && readFileSync(conf, 'utf8').includes(`endpoint=127.0.0.1:${port}`)) return conf;
  return null;
}
const conf = rgwConf();
// The storage daemons' PIDs (from the throwaway cluster's pid files), for CPU accounting.
function storagePids() {
  if (!conf) return [];
  const run = path.join(path.dirname(conf), 'run');
  try {
    return readdirSync(run)
      .filter((f) => f.endsWith('.pid'))
      .map((f) => Number(readFileSync(path.join(run, f), 'utf8').trim()))
      .filter(Boolean);
  } catch {
    return [];
  }
}
/** CPU seconds so far of: the page's renderer, the rest of Chromium, storage, this process (handler). */
function cpuNow(browserPid, rendererPid) {
  const chromium = [browserPid, ...descendants(browserPid)].filter((p) => p !== rendererPid);
  const self = process.cpuUsage();
  return {
    renderer: cpuSeconds(rendererPid),
    chromium: chromium.reduce((a, p) => a + cpuSeconds(p), 0),
    storage: storagePids().reduce((a, p) => a + cpuSeconds(p), 0),
    node: (self.user + self.system) / 1e6,
  };
}
const cpuDiff = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));
async function collectGarbageOnRgw() {
  if (!conf) return;
  await promisify(execFile)('radosgw-admin', ['-c', conf, '-n', 'client.admin', 'gc', 'process', '--include-all'], { timeout: 120_000 });
}

// ---------------------------------------------------------------- what the page loads

const sdkBundle = (
  await esbuild.build({
    entryPoints: [path.join(here, 'upload-page/aws-sdk-entry.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'error',
  })
).outputFiles[0].contents;
const sdkVersion = JSON.parse(readFileSync(path.join(root, 'node_modules/@aws-sdk/lib-storage/package.json'), 'utf8')).version;

const secret = randomBytes(32).toString('hex');
const handler = createHandler({
  secret,
  storage: driver,
  routes: { bench: defineRoute({ maxFileSize: '50GiB' }) },
});
const aws = new AwsClient({ accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, service: 's3', region: s3.region });

const mounts = [
  ['/vs3/', path.join(root, 'js/dist/')],
  ['/bench/', path.join(here, 'upload-page/')],
  // The client's one npm dependency in browsers (idb: resume state, on by default), as the demo serves it.
  ['/idb/', path.dirname(fileURLToPath(import.meta.resolve('idb'))) + path.sep],
];
const PAGE =
  '<!doctype html><meta charset="utf-8"><title>vs3 upload bench</title><script type="importmap">{"imports":{"idb":"/idb/index.js"}}</script><script type="module" src="/bench/page.mjs"></script>';

const api = getRequestListener(async (request) => {
  const url = new URL(request.url);
  if (url.pathname === '/bench-api/presign') {
    const key = url.searchParams.get('key');
    const signed = await aws.sign(`${driver.objectUrl(key)}?X-Amz-Expires=3600`, { method: 'PUT', aws: { signQuery: true } });
    return Response.json({ url: signed.url });
  }
  return handler(request);
});

const server = http.createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://x');
  if (pathname.startsWith('/api/') || pathname.startsWith('/bench-api/')) return api(req, res);
  if (pathname === '/') return res.writeHead(200, { 'content-type': TYPES['.html'] }).end(PAGE);
  if (pathname === '/bench/aws-sdk.js') return res.writeHead(200, { 'content-type': TYPES['.js'] }).end(sdkBundle);
  const file = fileUnder(mounts, pathname);
  if (!file) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-cache' });
  createReadStream(file).pipe(res);
});
server.requestTimeout = 0;
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const origin = `http://127.0.0.1:${server.address().port}`;

// The bucket, with CORS for this origin: PUT/GET/HEAD for vs3 and the raw PUT, POST/DELETE for the
// SDK's CreateMultipartUpload / CompleteMultipartUpload / AbortMultipartUpload, ETag exposed for both.
await ensureBucket(s3);
{
  const xml =
    `<CORSConfiguration><CORSRule><AllowedOrigin>${origin}</AllowedOrigin>` +
    ['PUT', 'GET', 'HEAD', 'POST', 'DELETE'].map((m) => `<AllowedMethod>${m}</AllowedMethod>`).join('') +
    '<AllowedHeader>*</AllowedHeader><ExposeHeader>ETag</ExposeHeader><MaxAgeSeconds>3000</MaxAgeSeconds></CORSRule></CORSConfiguration>';
  const res = await driver.signedFetch(`${driver.bucketUrl()}?cors`, {
    method: 'PUT',
    body: xml,
    headers: { 'content-type': 'application/xml', 'content-md5': createHash('md5').update(xml).digest('base64') },
  });
  if (!res.ok) throw new Error(`setting CORS failed: ${res.status} ${await res.text()}`);
}

async function verifyAndDelete(key) {
  const head = await driver.signedFetch(driver.objectUrl(key), { method: 'HEAD' });
  const stored = head.ok ? Number(head.headers.get('content-length')) : -1;
  const del = await driver.signedFetch(driver.objectUrl(key), { method: 'DELETE' });
  if (!del.ok && del.status !== 404) throw new Error(`DELETE ${key}: ${del.status}`);
  await collectGarbageOnRgw();
  return stored;
}

// ---------------------------------------------------------------- the run

const mib = (b) => b / MiB;
const browser = await launch(`${origin}/`);
const results = Object.fromEntries(names.map((n) => [n, []]));
let failed = false;
let info = {};
try {
  const session = await attachBenchPage(browser);
  const renderer = findRenderer(browser.pid);
  const gc = () => browser.send('HeapProfiler.collectGarbage', {}, session);
  const settle = () => settledRss(browser, session, renderer.pid);
  await browser.send('HeapProfiler.enable', {}, session);
  const idle = await settle();
  const t0 = performance.now();
  const made = await evaluate(browser, session, `bench.makeFile(${sizeMiB})`);
  if (made.size !== size) throw new Error(`page made ${made.size} bytes, expected ${size}`);
  info = { renderer, idle, made, makeMs: performance.now() - t0, afterMake: await settle() };

  for (let r = 0; r < rounds; r++) {
    const order = r % 2 ? [...names].reverse() : names;
    for (const name of order) {
      const key = `bench/${name}-${r}-${Date.now()}.bin`;
      const start = await settle();
      const sampler = sampleRss(renderer.pid, 50);
      const cpu0 = cpuNow(browser.pid, renderer.pid);
      let probe = null;
      const probeTimer =
        gcProbeMs > 0 &&
        setTimeout(async () => {
          const before = rssBytes(renderer.pid);
          await gc();
          probe = { before, after: rssBytes(renderer.pid) };
        }, gcProbeMs);
      let out;
      try {
        const opts = {
          key,
          route: 'bench',
          vs3Options,
          checksum: sdkChecksum,
          s3: { endpoint: s3.endpoint, region: s3.region, bucket: s3.bucket, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
        };
        out = await evaluate(browser, session, `bench.run(${JSON.stringify(name)}, ${JSON.stringify(opts)})`);
      } catch (e) {
        out = { error: String(e.message ?? e) };
      }
      clearTimeout(probeTimer);
      const { peak, samples } = sampler.stop();
      const cpu = cpuDiff(cpu0, cpuNow(browser.pid, renderer.pid));
      const row = { round: r + 1, ...out, peak, start, samples, cpu };
      if (!out.error) {
        row.stored = await verifyAndDelete(out.key);
        if (row.stored !== size || out.size !== size) row.error = `stored ${row.stored} bytes (client said ${out.size}), expected ${size}`;
      } else {
        await verifyAndDelete(key).catch(() => {});
      }
      if (row.error) failed = true;
      results[name].push(row);
      const d = out.detail;
      console.error(
        `  round ${r + 1} ${name.padEnd(4)} ${row.error ? `FAILED: ${row.error}` : `${(out.ms / 1000).toFixed(2)} s  ${(size / 1e6 / (out.ms / 1000)).toFixed(1)} MB/s`}` +
          `  renderer peak +${mib(peak - idle).toFixed(1)} MiB over idle (+${mib(start - idle).toFixed(1)} at start, ${samples} samples)` +
          (out.longTaskMs !== undefined ? `  main-thread long tasks ${out.longTaskMs.toFixed(0)} ms/${out.longTasks}` : '') +
          `  CPU s: renderer ${cpu.renderer.toFixed(1)}, rest of chromium ${cpu.chromium.toFixed(1)}, storage ${conf ? cpu.storage.toFixed(1) : '?'}, handler ${cpu.node.toFixed(1)}` +
          (probe ? `  GC probe at ${gcProbeMs} ms: +${mib(probe.before - idle).toFixed(1)} -> +${mib(probe.after - idle).toFixed(1)} MiB` : '') +
          (d
            ? `  [hashed all at ${(d.hashedAt / 1000).toFixed(2)} s, first byte sent ${(d.firstByteAt / 1000).toFixed(2)} s, engine ${d.engineMs.toFixed(0)} ms, ${d.partCount} parts]`
            : ''),
      );
    }
  }
  if (diagnose) {
    const start = await settle();
    const sampler = sampleRss(renderer.pid, 50);
    try {
      info.hash = { ...(await evaluate(browser, session, 'bench.run("hash", {})')), start };
    } catch (e) {
      info.hash = { error: String(e.message ?? e) };
    }
    info.hash.peak = sampler.stop().peak;
  }
  await evaluate(browser, session, 'bench.dropFile()');
} finally {
  await browser.close();
  server.closeAllConnections?.();
  server.close();
}

// ---------------------------------------------------------------- the table

const ok = (rows) => rows.filter((r) => !r.error);
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const summary = {};
for (const n of names) {
  const rows = ok(results[n]);
  if (!rows.length) continue;
  const times = rows.map((r) => r.ms / 1000);
  summary[n] = {
    best: Math.min(...times),
    median: median(times),
    peak: Math.max(...rows.map((r) => r.peak - info.idle)),
    longTaskMs: Math.max(...rows.map((r) => r.longTaskMs ?? 0)),
  };
}
const DIAG = 'diagnostic: vs3 read+hash alone, no upload';
const w = Math.max(...names.map((n) => LABELS[n].length), info.hash ? DIAG.length : 0);
console.log(
  `Chromium ${browser.version.replace(/^HeadlessChrome\//, '')} (headless) -> ${s3.endpoint} — ${sizeMiB} MiB file (${info.made?.backing}), ${rounds} round(s), alternating order`,
);
console.log(
  `  renderer pid ${info.renderer?.pid} (${info.renderer?.how}, ${info.renderer?.renderers} renderer(s)); idle RSS ${mib(info.idle ?? 0).toFixed(1)} MiB; ` +
    `file written in ${((info.makeMs ?? 0) / 1000).toFixed(1)} s, RSS after it +${mib((info.afterMake ?? 0) - (info.idle ?? 0)).toFixed(1)} MiB; @aws-sdk ${sdkVersion}` +
    (sdkChecksum ? `, requestChecksumCalculation ${sdkChecksum}` : ', SDK default checksums') +
    (Object.keys(vs3Options).length ? `; vs3 options ${JSON.stringify(vs3Options)}` : ''),
);
console.log(`  ${'contender'.padEnd(w)}   best s  median s   MB/s (best)   renderer peak over idle   main-thread long tasks`);
for (const n of names) {
  const s = summary[n];
  if (!s) {
    console.log(`  ${LABELS[n].padEnd(w)}   FAILED: ${results[n].map((r) => r.error).join('; ')}`);
    continue;
  }
  console.log(
    `  ${LABELS[n].padEnd(w)}  ${s.best.toFixed(2).padStart(7)}  ${s.median.toFixed(2).padStart(8)}  ${(size / 1e6 / s.best).toFixed(1).padStart(12)}  ${mib(s.peak).toFixed(1).padStart(18)} MiB  ${s.longTaskMs.toFixed(0).padStart(18)} ms`,
  );
}
if (info.hash) {
  const h = info.hash;
  console.log(
    h.error
      ? `  diagnostic: vs3 read+hash alone FAILED: ${h.error}`
      : `  ${DIAG.padEnd(w)}  ${(h.ms / 1000).toFixed(2).padStart(7)}  ${''.padStart(8)}  ${(size / 1e6 / (h.ms / 1000)).toFixed(1).padStart(12)}  ${mib(
          h.peak - info.idle,
        )
          .toFixed(1)
          .padStart(18)} MiB  ${h.longTaskMs.toFixed(0).padStart(18)} ms`,
  );
}
console.log(
  '  (MB/s = 10^6 bytes/s of the best round; memory: max over rounds of the renderer RSS peak minus idle, sampled every 50 ms; long tasks: max over rounds)',
);
if (summary.vs3 && summary.raw) {
  const ratio = summary.vs3.median / summary.raw.median;
  const verdict =
    ratio <= TARGET_RATIO
      ? 'met'
      : `MISSED by ${((ratio / TARGET_RATIO - 1) * 100).toFixed(0)}% (${(summary.vs3.median - TARGET_RATIO * summary.raw.median).toFixed(2)} s over)`;
  console.log(
    `  target: vs3 time <= ${TARGET_RATIO}x the raw PUT's: ${ratio.toFixed(2)}x (median ${summary.vs3.median.toFixed(2)} s vs ${summary.raw.median.toFixed(2)} s) — ${verdict}`,
  );
}
if (summary.vs3) {
  const m = mib(summary.vs3.peak);
  const scaled = sizeMiB === 1024 ? '' : ' (target is for 1 GiB)';
  console.log(
    `  target: vs3 renderer memory over idle <= ${TARGET_MEM_MIB} MiB: ${m.toFixed(1)} MiB — ${m <= TARGET_MEM_MIB ? 'met' : `MISSED by ${(m - TARGET_MEM_MIB).toFixed(1)} MiB`}${scaled}`,
  );
}
if (failed) {
  console.log('  SOME UPLOADS FAILED (see above)');
  process.exitCode = 1;
}
