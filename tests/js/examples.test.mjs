// Issue 10, the examples run for real:
// - examples/next-app: `next build` (Turbopack) and `next start`; the Node client uploads through its
//   App Router route (single PUT and multipart, bytes checked on disk), then Chromium opens the page
//   and uploads through @vs3/react's UploadDropzone and useUpload (the hashing worker and the WASM
//   loading from Turbopack's output), and UploadButton refuses a file its route does not take.
// - examples/react-vite: `tsc` and `vite build`, served by the example's own server.mjs; Chromium
//   uploads through the styled UploadDropzone, UploadButton and a useUpload UI, checks the CSS that
//   data-state drives, and the stored bytes on disk.
// - examples/cloudflare-worker in workerd (Miniflare) presigning into Ceph RGW.
// Plus the Next adapter's own rules (Next's { params } never taken for { ip }; X-Forwarded-For only
// when trusted). Builds are reused while their sources (and vs3's and @vs3/react's dist) are unchanged.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Miniflare } from 'miniflare';
import { createNodeUploader, ensureBucket, s3OptionsFromEnv } from 'vs3/node';
import { createHandler, defineRoute, memoryStore, localStorage, nextRouteHandlers } from 'vs3/server';
import { launchChromium } from '../../e2e/browser.mjs';
import { SECRET, bundleWorker, s3Bindings, sha256hex, tempDir, uploadFromDisk } from './helpers.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const nextApp = path.join(root, 'examples/next-app');
const viteApp = path.join(root, 'examples/react-vite');
const bins = {
  next: path.join(root, 'node_modules/next/dist/bin/next'),
  vite: path.join(root, 'node_modules/vite/bin/vite.js'),
  tsc: path.join(root, 'node_modules/typescript/bin/tsc'),
};

// Children (builds, next start) run in their own process group, killed with it on exit.
const children = new Set();
process.on('exit', () => {
  for (const c of children) killGroup(c);
});
function killGroup(child) {
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {}
}
function run(bin, args, { cwd, env = {} }) {
  // Not under the suite's coverage: V8 would record all of Next and Vite (vs3's code is covered in-process).
  const { NODE_V8_COVERAGE: _, ...base } = { ...process.env, ...env };
  const child = spawn(process.execPath, [bins[bin], ...args], { cwd, env: { ...base, NEXT_TELEMETRY_DISABLED: '1' }, detached: true });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  return { child, output: () => out };
}
async function runToEnd(bin, args, cwd) {
  const r = run(bin, args, { cwd });
  const code = await new Promise((res) => r.child.on('exit', res));
  assert.equal(code, 0, `${bin} ${args.join(' ')} failed:\n${r.output()}`);
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

const version = async (pkg) => JSON.parse(await readFile(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;

/** What a build depends on: the app's sources, vs3's and @vs3/react's built files (bundled in), the tools' versions. */
async function sourceHash(app, skip, tools) {
  const h = createHash('sha256');
  async function walk(dir, skipNames) {
    for (const e of (await readdir(dir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(dir, e.name);
      if (skipNames.has(e.name)) continue;
      if (e.isDirectory()) await walk(p, skipNames);
      else if (e.isFile()) h.update(`${path.relative(root, p)}\0`).update(await readFile(p));
    }
  }
  await walk(app, new Set(['node_modules', '.data', ...skip]));
  await walk(path.join(root, 'js/dist'), new Set());
  await walk(path.join(root, 'react/dist'), new Set());
  for (const tool of tools) h.update(`${tool}@${await version(tool)}\0`);
  return h.digest('hex');
}

/** Runs `steps` unless the stamp says the last build used these very sources (and `output` exists). */
async function cachedBuild(t, name, { stamp, output, hash, steps }) {
  if (existsSync(output) && existsSync(stamp) && (await readFile(stamp, 'utf8')) === hash) {
    t.diagnostic(`${name}: reused (sources unchanged)`);
    return;
  }
  const started = Date.now();
  await steps();
  await mkdir(path.dirname(stamp), { recursive: true });
  await writeFile(stamp, hash);
  t.diagnostic(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

/** `next build` (Turbopack, Next 16's default; it type-checks the app too). */
async function buildNextApp(t) {
  await cachedBuild(t, 'next build', {
    stamp: path.join(nextApp, '.next/vs3-source-hash'),
    output: path.join(nextApp, '.next/BUILD_ID'),
    hash: await sourceHash(nextApp, ['.next', 'next-env.d.ts'], ['next']),
    steps: () => runToEnd('next', ['build'], nextApp),
  });
}

/** `tsc` (the helpers typed from routes.js) then `vite build`; the stamp sits outside dist/, which server.mjs serves. */
async function buildViteApp(t) {
  await cachedBuild(t, 'tsc + vite build', {
    stamp: path.join(viteApp, 'node_modules/.vs3-build-stamp'),
    output: path.join(viteApp, 'dist/index.html'),
    hash: await sourceHash(viteApp, ['dist'], ['vite', '@vitejs/plugin-react', 'typescript']),
    steps: async () => {
      await runToEnd('tsc', ['-p', '.'], viteApp);
      await runToEnd('vite', ['build', '--logLevel', 'warn'], viteApp);
    },
  });
}

// One Chromium for the file, opened on first use.
let browser;
after(() => browser?.close());

/**
 * Opens `url` in a fresh browser context; collects page errors and console errors, the workers the
 * page started and every response (the workers' too).
 */
async function openPage(t, url) {
  browser ??= await launchChromium();
  const context = await browser.newContext();
  t.after(() => context.close());
  const page = await context.newPage();
  const errors = [];
  const workers = [];
  const responses = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  page.on('worker', (w) => workers.push(w.url()));
  context.on('response', (r) => responses.push({ url: r.url(), status: r.status() }));
  await page.goto(url);
  return { page, errors, workers, responses };
}

/** Random bytes in dir/name; returns { file, sha256 }. */
async function writeRandom(dir, name, size) {
  const file = path.join(dir, name);
  const bytes = randomBytes(size);
  await writeFile(file, bytes);
  return { file, sha256: sha256hex(bytes) };
}

/** The SHA-256 of what the local driver (fsStore) stored under `key`. */
const storedSha = async (dataDir, key) => sha256hex(await readFile(path.join(dataDir, 'objects', key)));

const UP = { timeout: 60_000 };

test('examples/next-app: next build, next start, uploads through app/api/vs3/[...vs3]/route.ts (Node client, then @vs3/react in Chromium)', {
  timeout: 600_000,
}, async (t) => {
  await buildNextApp(t);
  const dir = await tempDir(t);
  const dataDir = path.join(dir, 'data');
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  // Next hands route handlers http://localhost:<port> whatever Host said: the local driver's URLs
  // need the app's public URL (VS3_PUBLIC_URL in the example).
  const s = run('next', ['start', '-p', String(port), '-H', '127.0.0.1'], {
    cwd: nextApp,
    env: { VS3_SECRET: SECRET, VS3_DATA_DIR: dataDir, VS3_PUBLIC_URL: origin },
  });
  t.after(() => killGroup(s.child));
  const deadline = Date.now() + 60_000;
  for (;;) {
    const r = await fetch(`${origin}/api/vs3/routes`).catch(() => null);
    if (r?.ok) break;
    assert.ok(s.child.exitCode === null && Date.now() < deadline, `next start did not come up:\n${s.output()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // The page is prerendered with the components in it (server rendering of @vs3/react).
  const page = await fetch(origin);
  assert.equal(page.status, 200);
  const html = await page.text();
  assert.match(html, /vs3 on Next\.js/);
  assert.match(html, /data-vs3="upload-dropzone"[^>]*data-state="idle"|data-state="idle"[^>]*data-vs3="upload-dropzone"/);

  const up = createNodeUploader({ endpoint: `${origin}/api/vs3` });
  t.after(() => up.dispose());
  // One single PUT and one multipart upload (two 8 MiB-ish parts), both through Next's route.
  for (const size of [300_000, 12 * 1024 * 1024 + 5]) {
    const { r, bytes } = await uploadFromDisk(up, dir, size, { prefix: 'n' });
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

  // In Chromium: the page's UploadDropzone takes a multipart-sized file (hashed by vs3's worker,
  // which Turbopack bundles from `new Worker(new URL('./part-worker.js', import.meta.url))`, with the
  // WASM core) and lists the key its typed onUploadComplete result gave.
  const { page: tab, errors, workers, responses } = await openPage(t, origin);
  const zone = tab.locator('[data-vs3="upload-dropzone"]');
  assert.equal(await zone.getAttribute('data-state'), 'idle');
  await zone.locator('[data-vs3="hint"]').waitFor(); // the route's rules arrived (GET /routes)
  const big = await writeRandom(dir, 'browser-big.bin', 9 * 1024 * 1024 + 7);
  await zone.locator('input[type=file]').setInputFiles(big.file);
  await tab.locator('[data-vs3="upload-dropzone"][data-state="done"]').waitFor(UP);
  const key = await tab.locator('[data-testid="stored"] li').first().getAttribute('data-key');
  assert.match(key, /^files\/.+\/browser-big\.bin$/);
  assert.equal(await storedSha(dataDir, key), big.sha256, 'the bytes the drop zone uploaded, on disk');
  assert.ok(workers.length >= 1, 'the hashing worker started');
  const wasm = responses.filter((r) => r.url.endsWith('.wasm'));
  assert.ok(wasm.length >= 1 && wasm.every((r) => r.status === 200), `the WASM core loaded: ${JSON.stringify(wasm)}`);
  assert.ok(
    responses.some((r) => r.url.includes('/api/vs3/multipart/complete') && r.status === 200),
    'a multipart upload',
  );

  // useUpload with a UI of its own: progress, then the typed result ({ stored }) and verified.
  const small = await writeRandom(dir, 'browser-small.txt', 70_001);
  const hook = tab.locator('[data-testid="hook"]');
  await hook.locator('input[type=file]').setInputFiles(small.file);
  await tab.locator('[data-testid="hook"][data-state="done"]').waitFor(UP);
  const said = await hook.textContent();
  const m = /stored (files\/\S+\/browser-small\.txt) \(70001 bytes, verified: true\)/.exec(said);
  assert.ok(m, said);
  assert.equal(await storedSha(dataDir, m[1]), small.sha256, 'the bytes useUpload uploaded, on disk');

  // UploadButton on the images route refuses a non-image before sending anything.
  const presigns = responses.filter((r) => r.url.endsWith('/presign')).length;
  const button = tab.locator('[data-vs3="upload-button"]');
  await button.locator('input[type=file]').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
  await tab.locator('[data-vs3="upload-button"][data-state="error"]').waitFor(UP);
  assert.match(await button.locator('[data-vs3="status"]').textContent(), /notes\.txt: only image\/jpeg/);
  assert.equal(responses.filter((r) => r.url.endsWith('/presign')).length, presigns, 'nothing sent for the refused file');
  assert.deepEqual(errors, [], 'no errors in the page');
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

const PNG_1x1 = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');

test('examples/react-vite: tsc, vite build, server.mjs; the styled components and useUpload upload in Chromium', { timeout: 300_000 }, async (t) => {
  await buildViteApp(t);
  const dir = await tempDir(t);
  const dataDir = path.join(dir, 'data');
  const { startServer } = await import(pathToFileURL(path.join(viteApp, 'server.mjs')).href);
  const srv = await startServer({ port: 0, dataDir, secret: SECRET });
  t.after(() => srv.close());
  const log = [];
  const origLog = console.log;
  console.log = (...a) => log.push(a.join(' ')); // the example's onUploadComplete logs each stored file
  t.after(() => (console.log = origLog));

  // The production build: hashed assets, no dev server code.
  const html = await (await fetch(srv.url)).text();
  assert.match(html, /<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js">/);
  assert.doesNotMatch(html, /src\/main\.tsx|@vite\/client/);

  const { page, errors, workers, responses } = await openPage(t, srv.url);
  const zone = page.locator('[data-vs3="upload-dropzone"]');
  await zone.locator('[data-vs3="hint"]').waitFor(); // the route's rules arrived
  const css = (loc, prop) => loc.evaluate((el, p) => getComputedStyle(el)[p], prop);
  assert.equal(await zone.getAttribute('data-state'), 'idle');
  assert.equal(await css(zone, 'borderTopStyle'), 'dashed', 'styles.css applies');

  // Two files through the drop zone, one of them multipart.
  const files = [await writeRandom(dir, 'one.bin', 9 * 1024 * 1024 + 3), await writeRandom(dir, 'two.txt', 12_345)];
  await zone.locator('input[type=file]').setInputFiles(files.map((f) => f.file));
  await page.locator('[data-vs3="upload-dropzone"][data-state="done"]').waitFor(UP);
  // The border colour has a 0.15 s transition: wait for it to end rather than read a midpoint.
  await zone.evaluate((el) => Promise.all(el.getAnimations().map((a) => a.finished)));
  assert.equal(await css(zone, 'borderTopColor'), 'rgb(21, 128, 61)', '[data-state="done"] is styled');
  assert.deepEqual(await zone.locator('[data-vs3="files"] li').evaluateAll((els) => els.map((e) => e.dataset.state)), ['done', 'done']);
  const keys = await page.locator('[data-testid="stored"] li').evaluateAll((els) => els.map((e) => e.dataset.key));
  assert.equal(keys.length, 2);
  for (const f of files) {
    const key = keys.find((k) => k.endsWith(`/${path.basename(f.file)}`));
    assert.ok(key, `${f.file} listed: ${keys}`);
    assert.equal(await storedSha(dataDir, key), f.sha256, `${key} on disk`);
  }
  assert.ok(
    workers.some((w) => /\/assets\/part-worker-[\w-]+\.js$/.test(w)),
    `vite emitted and started the worker: ${workers}`,
  );
  assert.ok(
    responses.some((r) => /\/assets\/vs3core-[\w-]+\.wasm$/.test(r.url) && r.status === 200),
    'the WASM core loaded',
  );
  assert.equal(log.filter((l) => l.startsWith('vs3: stored files/')).length, 2, "the route's onUploadComplete ran for each");

  // UploadButton (images): a text file is refused before upload, a PNG goes up.
  const button = page.locator('[data-vs3="upload-button"]');
  const input = button.locator('input[type=file]');
  await input.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') });
  await page.locator('[data-vs3="upload-button"][data-state="error"]').waitFor(UP);
  assert.equal(await css(button.locator('button'), 'backgroundColor'), 'rgb(185, 28, 28)', '[data-state="error"] is styled');
  assert.match(await button.locator('[data-vs3="status"]').textContent(), /notes\.txt: only image\/png/);
  await input.setInputFiles({ name: 'dot.png', mimeType: 'image/png', buffer: PNG_1x1 });
  await page.locator('[data-vs3="upload-button"][data-state="done"]').waitFor(UP);
  assert.equal(await css(button.locator('button'), 'backgroundColor'), 'rgb(21, 128, 61)');
  const png = await page.locator('[data-testid="stored"] li[data-key$="/dot.png"]').getAttribute('data-key');
  assert.match(png, /^images\//);
  assert.equal(await storedSha(dataDir, png), sha256hex(PNG_1x1));

  // useUpload with its own markup: per-file state and an overall progress bar.
  const custom = await writeRandom(dir, 'three.bin', 200_003);
  await page.locator('.custom input[type=file]').setInputFiles(custom.file);
  await page.locator('.custom .files li[data-state="done"]').waitFor(UP);
  assert.equal(await page.locator('.custom [role="progressbar"]').getAttribute('aria-valuenow'), '100');
  const three = await page.locator('[data-testid="stored"] li[data-key$="/three.bin"]').count();
  assert.equal(three, 0, 'the custom UI keeps its results to itself');
  const onDisk = log.find((l) => l.includes('/three.bin '));
  assert.ok(onDisk, 'stored through the files route');
  assert.equal(await storedSha(dataDir, /stored (\S+) /.exec(onDisk)[1]), custom.sha256);
  assert.deepEqual(errors, [], 'no errors in the page');
});

const s3 = process.env.VS3_S3_ENDPOINT ? s3OptionsFromEnv(process.env, `vs3-example-${Date.now().toString(36)}`) : null;
if (!s3 && process.env.VS3_REQUIRE_RGW === '1') throw new Error('VS3_S3_ENDPOINT is not set: start RGW with scripts/rgw.sh');

test('examples/cloudflare-worker in workerd: uploads presigned by the worker go to Ceph RGW', {
  skip: s3 ? false : 'no S3 endpoint',
  timeout: 120_000,
}, async (t) => {
  await ensureBucket(s3);
  const mf = new Miniflare({
    modules: true,
    script: await bundleWorker(path.join(root, 'examples/cloudflare-worker/src/index.ts')),
    compatibilityDate: '2025-09-01',
    // The bindings wrangler.toml ([vars]) and `wrangler secret put` would give it.
    bindings: { VS3_SECRET: SECRET, ...s3Bindings(s3) },
  });
  t.after(() => mf.dispose());
  const origin = (await mf.ready).origin;
  assert.equal((await fetch(`${origin}/elsewhere`)).status, 404, "the worker's other paths are its own");

  const dir = await tempDir(t);
  const up = createNodeUploader({ endpoint: `${origin}/api/vs3` });
  t.after(() => up.dispose());
  for (const size of [1_000_003, 12 * 1024 * 1024 + 5]) {
    const { r, bytes } = await uploadFromDisk(up, dir, size, { prefix: 'w' });
    assert.equal(r.sha256, sha256hex(bytes));
    // RGW checks no checksums: workerd read the object back from RGW and hashed it.
    assert.equal(r.verified, true);
    assert.deepEqual(r.result, { stored: r.key, sha256: r.sha256 });
    assert.ok(r.url.startsWith(`${s3.endpoint}/${s3.bucket}/files/`), r.url);
    assert.equal(sha256hex(Buffer.from(await (await fetch(r.url)).arrayBuffer())), r.sha256, `${size} bytes stored in RGW`);
  }
});
