// vs3/image in real workerd (Miniflare): a Worker imports vs3image.wasm as a module and makes variants
// server-side. Bundled with esbuild for platform "neutral" with the Worker conditions, so nothing
// from Node can slip in.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { Miniflare } from 'miniflare';
import { dimensionsOf, png } from './image-fixtures.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

test('workerd: a Worker resizes a PNG to WebP and a JPEG thumbnail with the WASM image module', async (t) => {
  const out = await build({
    entryPoints: [path.join(root, 'tests/edge/image-worker.mjs')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    mainFields: ['module', 'main'],
    conditions: ['workerd', 'worker', 'browser', 'import'],
    external: ['./vs3image.wasm'],
    write: false,
    logLevel: 'silent',
  });
  const script = out.outputFiles[0].text;
  assert.doesNotMatch(script, /from\s*["']node:/, 'no Node built-ins in the bundle');
  const wasm = await readFile(path.join(root, 'js/dist/wasm/vs3image.wasm'));
  const mf = new Miniflare({
    modules: [
      { type: 'ESModule', path: 'worker.mjs', contents: script },
      { type: 'CompiledWasm', path: 'vs3image.wasm', contents: wasm },
    ],
    compatibilityDate: '2025-09-01',
  });
  t.after(() => mf.dispose());
  const input = png(400, 300, (x, y) => [x % 256, y % 256, (x * y) % 256, 255], { colour: 'rgb' });
  const res = await mf.dispatchFetch('http://edge.test/?w=200', { method: 'POST', body: input });
  const body = new Uint8Array(await res.arrayBuffer());
  assert.equal(res.status, 200, new TextDecoder().decode(body.slice(0, 300)));
  assert.equal(res.headers.get('content-type'), 'image/webp');
  assert.equal(res.headers.get('x-size'), '200x150');
  assert.deepEqual(dimensionsOf(body), { width: 200, height: 150 });
  assert.match(res.headers.get('x-thumb'), /^64x48 image\/jpeg \d+$/);
  assert.equal(res.headers.get('x-original'), '400x300 image/png orientation 1');
  // Bad input is a 4xx with the pipeline's code, and the isolate keeps serving.
  const bad = await mf.dispatchFetch('http://edge.test/', { method: 'POST', body: 'GIF89a not really' });
  assert.equal(bad.status, 415);
  assert.equal((await bad.json()).error.code, 'unsupported_image');
  const again = await mf.dispatchFetch('http://edge.test/?w=100', { method: 'POST', body: input });
  assert.equal(again.headers.get('x-size'), '100x75');
});
