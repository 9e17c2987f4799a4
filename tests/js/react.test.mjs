// @vs3/react outside the browser: the type test (route names, metadata and results inferred from the
// server's routes; tsc over react/test/types.tsx, whose every @ts-expect-error must be an error) and
// server rendering (react-dom/server) of the hooks and components without window, fetch or a queue.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('types: a wrong route or metadata is a compile error; results are typed from onUploadComplete', async () => {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const run = await promisify(execFile)(process.execPath, [tsc, '-p', 'react/test/tsconfig.json'], { cwd: root }).catch((e) => e);
  assert.equal(run.code ?? 0, 0, `tsc failed:\n${run.stdout}${run.stderr}`);
});

test('server render: hooks and components render their idle state; nothing touches window, fetch or a queue', async () => {
  assert.equal(typeof globalThis.window, 'undefined');
  const realFetch = globalThis.fetch;
  let fetched = 0;
  globalThis.fetch = (...a) => (fetched++, realFetch(...a));
  try {
    const React = await import('react');
    const { renderToString } = await import('react-dom/server');
    const vs3 = await import('@vs3/react');
    const h = React.createElement;
    const { useUpload, UploadButton, UploadDropzone } = vs3.generateReactHelpers({ endpoint: '/api/up' });
    let seen;
    // biome-ignore lint/correctness/noComponentHookFactories: it uses the modules this test imports (after its fetch spy is in place)
    function Status() {
      const u = useUpload('files');
      const q = vs3.useUploadQueue();
      const pending = vs3.useUploadQueueSelector((s) => s.pending);
      const zone = vs3.useDropzone({ route: 'files' });
      seen = { files: u.files.length, progress: u.progress, uploading: u.isUploading, total: q.totalBytes, pending, drag: zone.isDragActive };
      return h('p', { id: 'status' }, `${u.files.length} files`);
    }
    const html = renderToString(
      h(
        React.StrictMode,
        null,
        h(vs3.Vs3Provider, { endpoint: '/api/up' }, h(Status), h(UploadButton, { route: 'files' }), h(UploadDropzone, { route: 'files', multiple: true })),
      ),
    );
    assert.deepEqual(seen, { files: 0, progress: 0, uploading: false, total: 0, pending: 0, drag: false });
    assert.match(html, /data-vs3="upload-button" data-state="idle"/);
    assert.match(html, /data-vs3="upload-dropzone" data-state="idle"/);
    assert.match(html, /<input type="file"/);
    assert.match(html, /role="group"/);
    assert.match(html, /data-vs3="choose"/);
    assert.match(html, /Choose file/);
    assert.equal(fetched, 0, 'route rules are fetched in an effect, never while rendering on the server');
  } finally {
    globalThis.fetch = realFetch;
  }
});

test('the packed @vs3/react installs beside vs3 and react: imports, renders on the server, typechecks, fits its budget', async (t) => {
  const { mkdtemp, mkdir, readdir, readFile, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { gzipSync } = await import('node:zlib');
  const { build } = await import('esbuild');
  const exec = promisify(execFile);
  const npm = (args, cwd) => exec('npm', args, { cwd, env: { ...process.env, npm_config_loglevel: 'error' } });
  const dir = await mkdtemp(path.join(tmpdir(), 'vs3-react-pack-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await npm(['pack', '--pack-destination', dir], path.join(root, 'js'));
  await npm(['pack', '--pack-destination', dir], path.join(root, 'react'));
  const tarballs = (await readdir(dir)).filter((f) => f.endsWith('.tgz')).map((f) => path.join(dir, f));
  assert.equal(tarballs.length, 2);
  const project = path.join(dir, 'app');
  await mkdir(project);
  await writeFile(path.join(project, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  const versions = (p) => JSON.parse(readFileSync(path.join(root, 'node_modules', p, 'package.json'), 'utf8')).version;
  await npm(
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      ...tarballs,
      `react@${versions('react')}`,
      `react-dom@${versions('react-dom')}`,
      `@types/react@${versions('@types/react')}`,
      `zod@${versions('zod')}`,
    ],
    project,
  );
  const files = await readdir(path.join(project, 'node_modules/@vs3/react'), { recursive: true });
  assert.ok(files.includes('dist/index.js') && files.includes('dist/index.d.ts'), 'built files and types');
  assert.ok(!files.some((f) => f.startsWith('src/') || f.startsWith('test/')), 'no sources or tests');

  // ESM import and a server render, in the installed project.
  const { stdout } = await exec(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `import { createElement as h } from 'react';
       import { renderToString } from 'react-dom/server';
       import { UploadDropzone, Vs3Provider } from '@vs3/react';
       console.log(renderToString(h(Vs3Provider, null, h(UploadDropzone, { route: 'files' }))));`,
    ],
    { cwd: project },
  );
  assert.match(stdout, /data-vs3="upload-dropzone" data-state="idle"/);

  // Strict TypeScript over the installed types (no skipLibCheck): typed routes, and a wrong route fails.
  await writeFile(
    path.join(project, 'app.tsx'),
    `import { generateReactHelpers } from '@vs3/react';
import { defineRoute } from 'vs3/server';
import { z } from 'zod';
const routes = { photos: defineRoute({ maxFileSize: '1MB', metadata: z.object({ album: z.string() }), onUploadComplete: () => ({ n: 1 }) }) };
const { useUpload, UploadButton } = generateReactHelpers<typeof routes>();
export function App() {
  const u = useUpload('photos', { metadata: { album: 'a' }, onUploadComplete: (r) => r[0]?.result.n.toFixed() });
  // @ts-expect-error: no such route
  useUpload('videos');
  return <UploadButton route="photos" metadata={{ album: u.files.length ? 'x' : 'y' }} />;
}
`,
  );
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const args = ['--noEmit', '--strict', '--jsx', 'react-jsx', '--module', 'esnext', '--moduleResolution', 'bundler', '--target', 'ES2022'];
  const typed = await exec(process.execPath, [tsc, ...args, '--lib', 'ES2022,DOM', 'app.tsx'], { cwd: project }).catch((e) => e);
  assert.equal(typed.code ?? 0, 0, `tsc:\n${typed.stdout}${typed.stderr}`);

  // Size: the hooks and components alone (React and vs3/client are the app's anyway).
  const out = await build({
    stdin: {
      contents: "export { generateReactHelpers, useUpload, useUploadQueue, useDropzone, UploadButton, UploadDropzone, Vs3Provider } from '@vs3/react';",
      resolveDir: project,
    },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    external: ['react', 'react-dom', 'react/jsx-runtime', 'vs3/client'],
    write: false,
    logLevel: 'silent',
  });
  const size = gzipSync(out.outputFiles[0].contents, { level: 9 }).length;
  const budget = JSON.parse(await readFile(path.join(root, 'budgets.json'), 'utf8')).react;
  console.log(`# @vs3/react: ${(size / 1024).toFixed(1)} KiB gzip (budget ${(budget / 1024).toFixed(1)} KiB)`);
  assert.ok(size <= budget, `${size} bytes over the budget of ${budget}`);
});

test('client-side rules read sizes and types as the server does', async () => {
  const { formatBytes, matchesTypes, checkFiles } = await import('@vs3/react');
  const { defineRoute, createHandler, memoryStore, localStorage } = await import('vs3/server');
  // Sizes: the server's "100MB" is 10^8 bytes and "1GiB" 2^30; the hint says what the route says.
  const h = createHandler({
    secret: 'x'.repeat(40),
    storage: localStorage({ store: memoryStore(), secret: 'y'.repeat(40) }),
    routes: { a: defineRoute({ maxFileSize: '100MB' }), b: defineRoute({ maxFileSize: '1GiB' }), c: defineRoute({ maxFileSize: '4.5MB' }) },
  });
  const { routes } = await (await h(new Request('http://x/api/vs3/routes'))).json();
  assert.deepEqual(
    [routes.a, routes.b, routes.c].map((r) => formatBytes(r.maxFileSize)),
    ['100 MB', '1 GiB', '4.5 MB'],
  );
  assert.equal(formatBytes(512), '512 B');
  // Types: a MIME pattern AND an extension when both kinds are given.
  assert.ok(matchesTypes({ name: 'a.PNG', type: 'image/png' }, ['image/*', '.png']));
  assert.ok(!matchesTypes({ name: 'a.jpg', type: 'image/jpeg' }, ['image/*', '.png']));
  assert.ok(!matchesTypes({ name: 'a.png', type: 'text/plain' }, ['image/*']));
  // As the server: a wildcard never admits SVG; a file the browser gave no type is the server's to judge.
  assert.ok(!matchesTypes({ name: 'logo.svg', type: 'image/svg+xml' }, ['image/*']));
  assert.ok(matchesTypes({ name: 'logo.svg', type: 'image/svg+xml' }, ['image/svg+xml']));
  assert.ok(matchesTypes({ name: 'photo.heic', type: '' }, ['image/*']));
  const f = (name, size, type = '') => new File([new Uint8Array(size)], name, { type });
  const { accepted, rejected } = checkFiles(
    [f('ok.png', 10, 'image/png'), f('big.png', 2000, 'image/png'), f('x.txt', 1, 'text/plain'), f('two.png', 5, 'image/png')],
    {
      accept: ['image/*'],
      maxFileSize: 1000,
      maxFiles: 1,
    },
  );
  assert.deepEqual(
    accepted.map((x) => x.name),
    ['ok.png'],
  );
  assert.deepEqual(
    rejected.map((r) => r.code),
    ['file_too_large', 'invalid_file_type', 'too_many_files'],
  );
});
