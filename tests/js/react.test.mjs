// @vs3/react outside the browser: the type test (route names, metadata and results inferred from the
// server's routes; tsc over react/test/types.tsx, whose every @ts-expect-error must be an error) and
// server rendering (react-dom/server) of the hooks and components without window, fetch or a queue.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
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
    assert.match(html, /role="button" tabindex="0"/);
    assert.match(html, /Choose file/);
    assert.equal(fetched, 0, 'route rules are fetched in an effect, never while rendering on the server');
  } finally {
    globalThis.fetch = realFetch;
  }
});
