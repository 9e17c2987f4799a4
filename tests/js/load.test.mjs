// A short load test over loopback: the handler (local driver on disk) served over real HTTP in a
// child process started with --expose-gc; 32 concurrent loops presign -> PUT -> complete small files
// (and now and then a two-part multipart upload) for a few seconds of warm-up and ~20 s measured.
// Prints requests/s and p50/p99 latency per endpoint, and the server's heap and RSS after a forced
// GC at the end of the warm-up and at the end. Fails on any 5xx, any failed upload, onError reports,
// or heap growth that is a leak rather than noise: over 32 MiB, or over 4 MiB at more than 256 bytes per
// request served in between (a Map keeping ~1 KiB per request fails it; without one the heap grows < 1 MiB).
//   VS3_LOAD_SECONDS=<s>  measured seconds (default 20; warm-up 4 s)   VS3_LOAD_LOOPS=<n> (default 32)
//   VS3_LOAD_INJECT_LEAK=1  the server keeps ~1.5 KiB per request in a Map: the test must fail
import { fork } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MiB = 1024 * 1024;
const PART = 5 * MiB;
const SECRET = 'test-secret-0123456789abcdef0123456789';

if (process.env.VS3_LOAD_SERVER === '1') await server();
else await client();

/** The child: the handler over node:http; answers {type:'mem'} with memoryUsage() after a full GC. */
async function server() {
  const { getRequestListener } = await import('@hono/node-server');
  const { createHandler, defineRoute, localStorage, memoryCompletions } = await import('vs3/server');
  const { fsStore } = await import('vs3/node');
  const reports = [];
  const handler = createHandler({
    secret: SECRET,
    storage: localStorage({ store: fsStore(process.env.VS3_LOAD_DIR), secret: SECRET }),
    onError: (e) => reports.push(String(e?.stack ?? e).slice(0, 500)),
    // The completion records are a bounded cache (10,000 by default, ~1 KiB each): capped lower here so
    // they fill during the warm-up and whatever grows after it is not the cache.
    completions: memoryCompletions({ max: 1000 }),
    routes: {
      small: defineRoute({ maxFileSize: '1MiB', onUploadComplete: ({ key }) => ({ key }) }),
      big: defineRoute({ maxFileSize: '64MiB' }),
    },
  });
  // VS3_LOAD_INJECT_LEAK=1: a Map that grows per request, to see this test catch one.
  const leak = new Map();
  const served =
    process.env.VS3_LOAD_INJECT_LEAK === '1'
      ? (req) => (leak.set(leak.size, { url: req.url, headers: [...req.headers], pad: 'x'.repeat(1024) }), handler(req))
      : handler;
  const srv = http.createServer(getRequestListener(served));
  srv.keepAliveTimeout = 30_000;
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  process.on('message', async (m) => {
    if (m.type === 'mem') {
      for (let i = 0; i < 3; i++) {
        globalThis.gc();
        await new Promise((r) => setImmediate(r));
      }
      const u = process.memoryUsage();
      process.send({ type: 'mem', heapUsed: u.heapUsed, rss: u.rss, external: u.external, arrayBuffers: u.arrayBuffers, reports });
    } else if (m.type === 'exit') {
      srv.closeAllConnections();
      srv.close(() => process.exit(0));
    }
  });
  process.send({ type: 'ready', port: srv.address().port });
}

async function client() {
  const assert = (await import('node:assert/strict')).default;
  const { test } = await import('node:test');
  const { crc32c, crc32cToBase64 } = await import('vs3/server');

  test('load: 32 loops of presign + PUT + complete over loopback; throughput, latency, flat server memory', { timeout: 120_000 }, async (t) => {
    const MEASURE_S = Number(process.env.VS3_LOAD_SECONDS || 20);
    const WARMUP_S = 4;
    const LOOPS = Number(process.env.VS3_LOAD_LOOPS || 32);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vs3-load-'));
    t.after(() => rm(dir, { recursive: true, force: true }));

    const child = fork(fileURLToPath(import.meta.url), [], {
      execArgv: ['--expose-gc'],
      env: { ...process.env, NODE_TEST_CONTEXT: undefined, VS3_LOAD_SERVER: '1', VS3_LOAD_DIR: dir },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let childOut = '';
    child.stdout.on('data', (d) => (childOut += d));
    child.stderr.on('data', (d) => (childOut += d));
    const exited = new Promise((r) => child.once('exit', r));
    t.after(async () => {
      if (child.exitCode === null) {
        child.send({ type: 'exit' });
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        await exited;
        clearTimeout(timer);
      }
    });
    const nextMessage = (type) =>
      new Promise((resolve, reject) => {
        const on = (m) => {
          if (m.type === type) {
            child.off('message', on);
            resolve(m);
          }
        };
        child.on('message', on);
        child.once('exit', (code) => reject(new Error(`server exited (${code}): ${childOut.slice(-2000)}`)));
      });
    const { port } = await nextMessage('ready');
    const base = `http://127.0.0.1:${port}/api/vs3`;
    const mem = async () => {
      child.send({ type: 'mem' });
      return nextMessage('mem');
    };

    // Keep-alive connections, at most one per loop (as browsers keep a few per origin).
    const agent = new http.Agent({ keepAlive: true, maxSockets: LOOPS * 2 });
    t.after(() => agent.destroy());
    function request(method, url, headers, body) {
      return new Promise((resolve, reject) => {
        const req = http.request(url, { method, headers, agent, timeout: 30_000 }, (res) => {
          const chunks = [];
          res.on('data', (c) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        });
        req.on('timeout', () => req.destroy(new Error(`${method} ${url}: no answer in 30 s`)));
        req.on('error', reject);
        req.end(body);
      });
    }

    // What is measured: per endpoint latencies of requests started after the warm-up.
    let measuring = false;
    const lat = new Map();
    const statuses = new Map();
    const failures = [];
    let fiveXX = 0;
    let served = 0;
    const uploads = { single: 0, multipart: 0 };
    async function call(endpoint, method, url, headers, body) {
      const t0 = performance.now();
      const phase = measuring;
      let r;
      try {
        r = await request(method, url, headers, body);
      } catch (e) {
        failures.push(`${endpoint}: ${e.message}`);
        return null;
      }
      const ms = performance.now() - t0;
      served++;
      if (phase && measuring) {
        if (!lat.has(endpoint)) lat.set(endpoint, []);
        lat.get(endpoint).push(ms);
      }
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      if (r.status >= 500) fiveXX++;
      if (r.status !== 200) {
        failures.push(`${endpoint}: ${r.status} ${r.text.slice(0, 300)}`);
        return null;
      }
      return r.text ? JSON.parse(r.text) : {};
    }
    const postJson = (endpoint, body) => call(endpoint, 'POST', `${base}${endpoint}`, { 'content-type': 'application/json' }, JSON.stringify(body));
    const put = (endpoint, u, bytes) => call(endpoint, u.method, u.url, { ...u.headers, 'content-length': String(bytes.length) }, bytes);

    const POOL = randomBytes(2 * MiB);
    const BIG = randomBytes(PART);
    const BIG_CRC = crc32cToBase64(crc32c(BIG));
    const BIG_HASH = createHash('sha256').update(BIG);
    let n = 0;

    async function single() {
      const size = Math.random() < 0.1 ? 64 * 1024 + Math.floor(Math.random() * 512 * 1024) : 1 + Math.floor(Math.random() * 16 * 1024);
      const off = Math.floor(Math.random() * (POOL.length - size));
      const bytes = POOL.subarray(off, off + size);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const p = await postJson('/presign', { route: 'small', file: { name: `f${++n}.bin`, size, type: 'application/octet-stream', sha256 } });
      if (!p) return;
      if (!(await put('PUT', p.upload, bytes))) return;
      const c = await postJson('/complete', { token: p.token });
      if (!c) return;
      if (c.file?.sha256 !== sha256 || c.file.size !== size) return void failures.push(`/complete: answered ${JSON.stringify(c.file)}`);
      uploads.single++;
    }

    async function multipart() {
      const tail = POOL.subarray(0, 1 + Math.floor(Math.random() * MiB));
      const size = PART + tail.length;
      const sha256 = BIG_HASH.copy().update(tail).digest('hex');
      const c = await postJson('/multipart/create', { route: 'big', file: { name: `m${++n}.bin`, size, type: 'application/octet-stream' }, partSize: PART });
      if (!c) return;
      const s = await postJson('/multipart/sign', {
        token: c.token,
        parts: [
          { partNumber: 1, crc32c: BIG_CRC },
          { partNumber: 2, crc32c: crc32cToBase64(crc32c(tail)) },
        ],
      });
      if (!s) return;
      const puts = await Promise.all([put('part PUT', s.parts[0], BIG), put('part PUT', s.parts[1], tail)]);
      if (puts.includes(null)) return;
      const done = await postJson('/multipart/complete', { token: c.token, sha256, firstPartCrc32c: BIG_CRC });
      if (!done) return;
      if (done.file?.sha256 !== sha256 || done.file.size !== size) return void failures.push(`/multipart/complete: answered ${JSON.stringify(done.file)}`);
      uploads.multipart++;
    }

    let stop = false;
    const loop = async () => {
      while (!stop) await (Math.random() < 1 / 40 ? multipart() : single());
    };

    const started = performance.now();
    const loops = Array.from({ length: LOOPS }, loop);
    await new Promise((r) => setTimeout(r, WARMUP_S * 1000));
    const before = await mem();
    const servedBefore = served;
    const doneBefore = { ...uploads };
    measuring = true;
    const m0 = performance.now();
    await new Promise((r) => setTimeout(r, MEASURE_S * 1000));
    measuring = false;
    const measured = (performance.now() - m0) / 1000;
    stop = true;
    await Promise.all(loops);
    const loadSeconds = (performance.now() - started) / 1000;
    const after = await mem();
    const between = served - servedBefore;

    const pct = (xs, p) => {
      const s = [...xs].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
    };
    const order = ['/presign', 'PUT', '/complete', '/multipart/create', '/multipart/sign', 'part PUT', '/multipart/complete'];
    const perEndpoint = order
      .filter((e) => lat.has(e))
      .map((e) => {
        const xs = lat.get(e);
        return `${e} ${(xs.length / measured).toFixed(0)}/s p50 ${pct(xs, 50).toFixed(1)} ms p99 ${pct(xs, 99).toFixed(1)} ms`;
      });
    const total = [...lat.values()].reduce((s, xs) => s + xs.length, 0);
    const mib = (b) => (b / MiB).toFixed(1);
    const heapGrowth = after.heapUsed - before.heapUsed;
    const rssGrowth = after.rss - before.rss;
    const perRequest = heapGrowth / between;
    const measuredUploads = uploads.single + uploads.multipart - doneBefore.single - doneBefore.multipart;
    console.log(
      `[load] ${LOOPS} loops, ${measured.toFixed(1)} s measured (${loadSeconds.toFixed(1)} s of load): ${total} requests = ${(total / measured).toFixed(0)} req/s, ` +
        `${measuredUploads} uploads = ${(measuredUploads / measured).toFixed(0)}/s (${uploads.single} single + ${uploads.multipart} multipart in all) | ${perEndpoint.join(' | ')} | ` +
        `server heap ${mib(before.heapUsed)} -> ${mib(after.heapUsed)} MiB (${heapGrowth >= 0 ? '+' : ''}${mib(heapGrowth)}, ${perRequest.toFixed(0)} B per request), RSS ${mib(before.rss)} -> ${mib(after.rss)} MiB (${rssGrowth >= 0 ? '+' : ''}${mib(rssGrowth)}) | ` +
        `statuses ${JSON.stringify(Object.fromEntries(statuses))}, ${fiveXX} 5xx, ${failures.length} failed`,
    );
    if (failures.length) console.log(`[load] first failures:\n  ${failures.slice(0, 10).join('\n  ')}`);
    if (after.reports.length) console.log(`[load] onError reports: ${after.reports.length}; first: ${after.reports[0]}`);

    assert.equal(fiveXX, 0, '5xx answers');
    assert.deepEqual(failures, [], 'failed requests / uploads');
    assert.deepEqual(after.reports, [], 'onError reports');
    assert.ok(uploads.single > 100 && uploads.multipart > 0, `too few uploads: ${JSON.stringify(uploads)}`);
    assert.ok(
      heapGrowth < 32 * MiB && !(heapGrowth > 4 * MiB && perRequest > 256),
      `server heap grew ${mib(heapGrowth)} MiB (${perRequest.toFixed(0)} bytes per request, ${between} requests) under load, after GC: a leak`,
    );
  });
}
