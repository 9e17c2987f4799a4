// Issue 10, the examples run for real: examples/next-app built with `next build` and served by
// `next start` (uploads by the Node client through its App Router route, the bytes checked on disk),
// and examples/cloudflare-worker in workerd (Miniflare) presigning into Ceph RGW. Plus the Next
// adapter's own rules (Next's { params } never taken for { ip }; X-Forwarded-For only when trusted).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { createNodeUploader, ensureBucket, fileSource, s3OptionsFromEnv } from 'vs3/node';
import { createHandler, defineRoute, memoryStore, localStorage, nextRouteHandlers } from 'vs3/server';
import { SECRET, sha256hex, tempDir } from './helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nextApp = path.join(root, 'examples/next-app');
const nextBin = path.join(root, 'node_modules/next/dist/bin/next');

// Children (next build, next start) run in their own process group, killed with it on exit.
const children = new Set();
process.on('exit', () => {
  for (const c of children) killGroup(c);
});
function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
}
function run(args, opts) {
  // Not under the suite's coverage: V8 would record all of Next (vs3's code is covered in-process).
  const { NODE_V8_COVERAGE: _, ...env } = { ...process.env, ...opts.env };
  const child = spawn(process.execPath, [nextBin, ...args], { cwd: nextApp, env: { ...env, NEXT_TELEMETRY_DISABLED: '1' }, detached: true });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, output: () => out };
}

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

/** What a build depends on: the app's sources, vs3's built files (its client is bundled in) and Next's version. */
async function sourceHash() {
  const h = createHash('sha256');
  async function walk(dir, skip) {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (skip.has(e.name)) continue;
      if (e.isDirectory()) await walk(p, skip);
      else if (e.isFile()) h.update(`${path.relative(root, p)}\0`).update(await readFile(p));
    }
  }
  await walk(nextApp, new Set(['.next', '.data', 'node_modules', 'next-env.d.ts']));
  await walk(path.join(root, 'js/dist'), new Set());
  h.update(JSON.parse(await readFile(path.join(root, 'node_modules/next/package.json'), 'utf8')).version);
  return h.digest('hex');
}

/** `next build` (webpack: see the example's README), skipped when the last one built these very sources. */
async function buildNextApp(t) {
  const stamp = path.join(nextApp, '.next/vs3-source-hash');
  const hash = await sourceHash();
  if (existsSync(path.join(nextApp, '.next/BUILD_ID')) && existsSync(stamp) && (await readFile(stamp, 'utf8')) === hash) {
    t.diagnostic('next build: reused (sources unchanged)');
    return;
  }
  const started = Date.now();
  const b = run(['build', '--webpack'], { env: {} });
  const code = await new Promise((r) => b.child.on('exit', r));
  assert.equal(code, 0, `next build failed:\n${b.output()}`);
  await writeFile(stamp, hash);
  t.diagnostic(`next build: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

test('examples/next-app: next build, next start, uploads through app/api/vs3/[...vs3]/route.ts', { timeout: 600_000 }, async (t) => {
  await buildNextApp(t);
  const dir = await tempDir(t);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  // Next hands route handlers http://localhost:<port> whatever Host said: the local driver's URLs
  // need the app's public URL (VS3_PUBLIC_URL in the example).
  const s = run(['start', '-p', String(port), '-H', '127.0.0.1'], { env: { VS3_SECRET: SECRET, VS3_DATA_DIR: dataDir, VS3_PUBLIC_URL: origin } });
  t.after(() => killGroup(s.child));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await fetch(`${origin}/api/vs3/routes`).catch(() => null);
    if (r?.ok) break;
    assert.ok(s.child.exitCode === null && Date.now() < deadline, `next start did not come up:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // The page renders (the client component that uploads from a browser is in it).
  const page = await fetch(origin);
  assert.equal(page.status, 200);
  assert.match(await page.text(), /vs3 on Next\.js/);

  const up = createNodeUploader({ endpoint: `${origin}/api/vs3` });
  t.after(() => up.dispose());
  // One single PUT and one multipart upload (two 8 MiB-ish parts), both through Next's route.
  for (const size of [300_000, 12 * 1024 * 1024 + 5]) {
    const file = path.join(dir, `n${size}.bin`);
    const bytes = randomBytes(size);
    await writeFile(file, bytes);
    const src = await fileSource(file);
    const r = await up.upload(src, { route: 'files' });
    await src.close();
    assert.equal(r.sha256, sha256hex(bytes));
    assert.equal(r.verified, true);
    assert.deepEqual(r.result, { stored: r.key }, "onUploadComplete's answer");
    assert.ok(r.url.startsWith(`${origin}/api/vs3/local/`), r.url);
    // On disk where the example's fsStore puts objects, and served back through the route (GET).
    assert.equal(sha256hex(await readFile(path.join(dataDir, 'objects', r.key))), r.sha256, `${size} bytes on disk`);
    assert.equal(sha256hex(Buffer.from(await (await fetch(r.url)).arrayBuffer())), r.sha256, `${size} bytes downloaded`);
    const head = await fetch(r.url, { method: 'HEAD' });
    assert.equal(head.status, 200);
    // (Next drops the content-length a HEAD answer carries; the handler's other headers pass.)
    assert.equal(head.headers.get('etag'), `"${r.sha256}"`);
  }
  // OPTIONS reaches the handler (no cors configured: a cross-origin preflight is refused); a method
  // the route does not export gets Next's 405.
  const pre = await fetch(`${origin}/api/vs3/presign`, {
    method: 'OPTIONS',
    headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
  });
  assert.equal(pre.status, 403);
  assert.equal(pre.headers.get('access-control-allow-origin'), null);
  assert.equal((await fetch(`${origin}/api/vs3/presign`, { method: 'DELETE' })).status, 405);
  assert.equal((await fetch(`${origin}/api/vs3/presign`)).status, 405, 'presign takes POST');
  assert.match(s.output(), /vs3: stored files\//, "the example's onUploadComplete ran in next start");
});

test("nextRouteHandlers: Next's { params } is not passed on; X-Forwarded-For is used only when trusted", async () => {
  const calls = [];
  const stub = async (...args) => (calls.push(args), new Response('ok'));
  const req = () => new Request('http://localhost/api/vs3/routes', { headers: { 'x-forwarded-for': '203.0.113.9, 198.51.100.7' } });
  const plain = nextRouteHandlers(stub);
  assert.deepEqual(Object.keys(plain).sort(), ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);
  await plain.GET(req(), { params: Promise.resolve({ vs3: ['routes'], ip: '6.6.6.6' }) });
  assert.equal(calls[0].length, 1, 'only the request');

  // The client address as a real handler's rate limit sees it.
  const seen = [];
  const handler = createHandler({
    secret: SECRET,
    storage: localStorage({ store: memoryStore(), secret: SECRET }),
    routes: { files: defineRoute({ maxFileSize: '1MB' }) },
    rateLimit: { rules: { limit: 100, windowSeconds: 1 }, key: (_req, { ip }) => (seen.push(ip), ip) },
  });
  const presign = (h, xff) =>
    h.POST(
      new Request('http://localhost/api/vs3/presign', {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(xff === undefined ? {} : { 'x-forwarded-for': xff }) },
        body: JSON.stringify({ route: 'files', file: { name: 'a.txt', size: 5, type: 'text/plain', sha256: sha256hex('hello') } }),
      }),
      { params: Promise.resolve({ vs3: ['presign'] }) },
    );
  const warn = console.warn;
  console.warn = () => {}; // "no client address" is expected for the untrusted cases
  try {
    for (const [opts, xff, ip] of [
      [{}, '203.0.113.9', 'unknown'], // not trusted: a client can send the header to `next start`
      [{ trustProxy: true }, '203.0.113.9, 198.51.100.7', '198.51.100.7'], // the address the proxy appended
      [{ trustProxy: 2 }, '203.0.113.9, 198.51.100.7', '203.0.113.9'],
      [{ trustProxy: 2 }, '198.51.100.7', 'unknown'], // fewer hops than proxies: none trusted
      [{ trustProxy: true }, undefined, 'unknown'],
    ]) {
      seen.length = 0;
      const res = await presign(nextRouteHandlers(handler, opts), xff);
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(seen, [ip], `${JSON.stringify(opts)} ${xff}`);
    }
  } finally {
    console.warn = warn;
  }
});

const s3 = process.env.VS3_S3_ENDPOINT ? s3OptionsFromEnv(process.env, `vs3-example-${Date.now().toString(36)}`) : null;
if (!s3 && process.env.VS3_REQUIRE_RGW === '1') throw new Error('VS3_S3_ENDPOINT is not set: start RGW with scripts/rgw.sh');

test('examples/cloudflare-worker in workerd: uploads presigned by the worker go to Ceph RGW', {
  skip: s3 ? false : 'no S3 endpoint',
  timeout: 120_000,
}, async (t) => {
  await ensureBucket(s3);
  const out = await build({
    entryPoints: [path.join(root, 'examples/cloudflare-worker/src/index.ts')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['worker', 'browser', 'import'],
    write: false,
    logLevel: 'silent',
  });
  const mf = new Miniflare({
    modules: true,
    script: out.outputFiles[0].text,
    compatibilityDate: '2025-09-01',
    // The bindings wrangler.toml ([vars]) and `wrangler secret put` would give it.
    bindings: {
      VS3_SECRET: SECRET,
      S3_ENDPOINT: s3.endpoint,
      S3_BUCKET: s3.bucket,
      S3_REGION: s3.region,
      S3_ACCESS_KEY_ID: s3.accessKeyId,
      S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    },
  });
  t.after(() => mf.dispose());
  const origin = (await mf.ready).origin;
  assert.equal((await fetch(`${origin}/elsewhere`)).status, 404, "the worker's other paths are its own");

  const dir = await tempDir(t);
  const up = createNodeUploader({ endpoint: `${origin}/api/vs3` });
  t.after(() => up.dispose());
  for (const size of [1_000_003, 12 * 1024 * 1024 + 5]) {
    const file = path.join(dir, `w${size}.bin`);
    const bytes = randomBytes(size);
    await writeFile(file, bytes);
    const src = await fileSource(file);
    const r = await up.upload(src, { route: 'files' });
    await src.close();
    assert.equal(r.sha256, sha256hex(bytes));
    // RGW checks no checksums: workerd read the object back from RGW and hashed it.
    assert.equal(r.verified, true);
    assert.deepEqual(r.result, { stored: r.key, sha256: r.sha256 });
    assert.ok(r.url.startsWith(`${s3.endpoint}/${s3.bucket}/files/`), r.url);
    assert.equal(sha256hex(Buffer.from(await (await fetch(r.url)).arrayBuffer())), r.sha256, `${size} bytes stored in RGW`);
  }
});
