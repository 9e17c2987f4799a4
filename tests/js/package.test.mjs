// Issue 11, "a package that installs": npm pack the vs3 package, install the tarball into a fresh
// project, import every public entry from ESM and from TypeScript (types resolve), bundle the browser
// client with esbuild, and hold the sizes to budgets (budgets.json; the figures are printed).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../..');
const budgets = JSON.parse(await readFile(path.join(root, 'budgets.json'), 'utf8'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, npm_config_loglevel: 'error' } });
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;

let dir;
let project;
test.before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'vs3-pack-'));
  run('npm', ['pack', '--pack-destination', dir], path.join(root, 'js'));
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'));
  project = path.join(dir, 'consumer');
  await import('node:fs/promises').then((fs) => fs.mkdir(project));
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // Dependencies (aws4fetch, idb) come from the npm cache the set-up filled.
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(dir, tarball)], project);
});
test.after(() => rm(dir, { recursive: true, force: true }));

test('the tarball holds the built package only, with exports, types and engines', async () => {
  const pkg = JSON.parse(await readFile(path.join(project, 'node_modules/vs3/package.json'), 'utf8'));
  for (const entry of ['./server', './client', './node', './core', './image']) {
    assert.ok(pkg.exports[entry].types, `${entry} has types`);
    await stat(path.join(project, 'node_modules/vs3', pkg.exports[entry].types));
    await stat(path.join(project, 'node_modules/vs3', pkg.exports[entry].default));
  }
  assert.ok(pkg.engines?.node, 'engines.node');
  assert.equal(pkg.sideEffects, false);
  const files = await readdir(path.join(project, 'node_modules/vs3'), { recursive: true });
  assert.ok(
    files.some((f) => f.endsWith('vs3core.wasm')),
    'the WASM core is in the package',
  );
  assert.ok(
    files.some((f) => f.endsWith('vs3image.wasm')),
    'the image module is in the package',
  );
  assert.ok(pkg.exports['./image'].node, 'vs3/image has a Node entry (reads the wasm from disk)');
  assert.ok(!files.some((f) => /^(src|tests?)\//.test(f) || f.endsWith('.test.mjs')), 'no sources or tests');
});

test('every public entry imports from ESM in a fresh project; the Node core loads', () => {
  const out = run(
    'node',
    [
      '--input-type=module',
      '-e',
      `
    const s = await import('vs3/server'); const c = await import('vs3/client'); const n = await import('vs3/node'); const k = await import('vs3/core');
    if (typeof s.createHandler !== 'function' || typeof c.createUploadQueue !== 'function' || typeof n.createNodeUploader !== 'function' || typeof k.loadCore !== 'function') process.exit(1);
    const core = await n.loadCoreNode();
    console.log(typeof core.Sha256);
    // vs3/image in Node: the module is read from the installed package; HEIC bytes are refused by the pipeline.
    const { processImage } = await import('vs3/image');
    const heic = new Blob([new Uint8Array([0, 0, 0, 24, 102, 116, 121, 112, 104, 101, 105, 99, 0, 0, 0, 0])]);
    console.log(await processImage(heic).catch((e) => e.code));`,
    ],
    project,
  );
  assert.equal(out.trim(), 'function\nunsupported_image');
});

test('the vs3 command is installed with the package (bin) and runs', () => {
  const out = run(path.join(project, 'node_modules/.bin/vs3'), ['--help'], project);
  assert.match(out, /vs3 upload <files\.\.\.> --endpoint/);
});

test('TypeScript resolves the types of every entry (moduleResolution bundler and node16)', async () => {
  await writeFile(
    path.join(project, 'app.ts'),
    `
import { createHandler, defineRoute, type HandlerOptions } from 'vs3/server';
import { createUploadQueue, type UploadResult } from 'vs3/client';
import { createNodeUploader } from 'vs3/node';
import { loadCore } from 'vs3/core';
const opts: HandlerOptions = { secret: 'x'.repeat(32), storage: null as never, routes: { a: defineRoute({ maxFileSize: '1MB' }) } };
export const h = createHandler(opts);
export const q = createUploadQueue({ endpoint: '/api/vs3' });
export const r: UploadResult | null = null;
export const n = createNodeUploader;
export const l = loadCore;
// @ts-expect-error: a wrong option is a type error, so the types are really there
createUploadQueue({ endpont: '/api/vs3' });
`,
  );
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  for (const [module, resolution] of [
    ['ESNext', 'Bundler'],
    ['Node16', 'Node16'],
  ]) {
    run(
      'node',
      [
        tsc,
        '--noEmit',
        '--strict',
        '--skipLibCheck',
        'false',
        '--lib',
        'ES2022,DOM',
        '--types',
        'node',
        '--typeRoots',
        path.join(root, 'node_modules/@types'),
        '--module',
        module,
        '--moduleResolution',
        resolution,
        '--target',
        'ES2022',
        'app.ts',
      ],
      project,
    );
  }
});

test('size budgets: the browser client bundle, the server bundle, the WASM core and the image module (gzip)', async () => {
  const entry = async (code, platform) => {
    const out = await build({
      stdin: { contents: code, resolveDir: project, loader: 'js' },
      bundle: true,
      minify: true,
      format: 'esm',
      platform,
      write: false,
      logLevel: 'silent',
    });
    return out.outputFiles[0].contents;
  };
  const client = await entry("export { createUploadQueue, createUploader } from 'vs3/client';", 'browser');
  const server = await entry("export { createHandler, s3Storage, localStorage, memoryStore } from 'vs3/server';", 'neutral');
  const wasm = await readFile(path.join(project, 'node_modules/vs3/dist/wasm/vs3core.wasm'));
  const glue = await readFile(path.join(project, 'node_modules/vs3/dist/wasm/vs3core.mjs'));
  // The hashing worker the client starts (its own file, next to the client in the package).
  const workerOut = await build({
    entryPoints: [path.join(project, 'node_modules/vs3/dist/client/part-worker.js')],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const worker = workerOut.outputFiles[0].contents;
  // vs3/image: its page half (pool, options; the glue is bundled with it) and its own WASM module,
  // which the client never loads (the client bundle above must not grow by any of it).
  const image = await entry("export { processImage, imageTransform } from 'vs3/image';", 'browser');
  const imageWasm = await readFile(path.join(project, 'node_modules/vs3/dist/wasm/vs3image.wasm'));
  assert.doesNotMatch(new TextDecoder().decode(client), /vs3image|createVs3Image/, 'the client bundle has none of the image module');
  const sizes = { client: gz(client), server: gz(server), wasm: gz(wasm), wasmGlue: gz(glue), worker: gz(worker), image: gz(image), imageWasm: gz(imageWasm) };
  console.log(
    `# sizes (gzip -9): ${Object.entries(sizes)
      .map(([k, v]) => `${k} ${kib(v)} (budget ${kib(budgets[k] ?? Number.NaN)})`)
      .join(', ')}`,
  );
  for (const [k, v] of Object.entries(sizes)) {
    assert.ok(budgets[k] > 0, `budgets.json has no budget for ${k}`);
    assert.ok(v <= budgets[k], `${k}: ${kib(v)} over its budget of ${kib(budgets[k])}`);
  }
});

test('a Vite build of a consumer app emits the hashing worker and the WASM core, each referenced where it is loaded', async () => {
  // The consumer project itself: vs3 resolves through its package exports like any dependency.
  const app = project;
  await writeFile(path.join(app, 'index.html'), '<!doctype html><script type="module" src="./main.js"></script>\n');
  await writeFile(path.join(app, 'main.js'), "import { createUploadQueue } from 'vs3/client';\nwindow.queue = createUploadQueue({ endpoint: '/api/vs3' });\n");
  // Built by a child process started in the project, as `npx vite build` would be.
  const vite = pathToFileURL(path.join(root, 'node_modules/vite/dist/node/index.js')).href;
  run(
    'node',
    [
      '--input-type=module',
      '-e',
      `const { build } = await import(${JSON.stringify(vite)}); await build({ root: process.cwd(), logLevel: 'silent', configFile: false });`,
    ],
    app,
  );

  const assets = await readdir(path.join(app, 'dist/assets'));
  const main = assets.find((f) => /^index-.*\.js$/.test(f));
  const worker = assets.find((f) => /^part-worker-.*\.js$/.test(f));
  const wasm = assets.find((f) => /^vs3core-.*\.wasm$/.test(f));
  assert.ok(main && worker && wasm, `emitted: ${assets.join(', ')}`);
  assert.ok((await readFile(path.join(app, 'dist/assets', main), 'utf8')).includes(worker), 'the app loads the emitted worker');
  assert.ok((await readFile(path.join(app, 'dist/assets', worker), 'utf8')).includes(wasm), 'the worker loads the emitted WASM');
});
