// vs3/image in Node (the WASM image module run in this thread) and the upload option `transform`:
// outputs, variants, orientation, metadata stripping, limits, bad input; then uploads through the
// handler's local driver with variants stored under the original's key, and the handler refusing
// variant uploads that do not belong to a stored upload.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { createUploader, sniffBlob } from 'vs3/client';
import { imageTransform, processImage } from 'vs3/image';
import { fsStore, loadCoreNode } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';
import { SECRET, post, serve, sha256hex, tempDir } from './helpers.mjs';
import { dimensionsOf, exif, metadataOf, palettePng, png, withExif, withIcc } from './image-fixtures.mjs';

// A smooth picture with some detail: gradients plus a diagonal stripe, 300 x 200.
const scene = (x, y) => [(x * 255) / 299, (y * 255) / 199, ((x + y) % 40) * 6, 255];
const photoPng = png(300, 200, scene, { colour: 'rgb' });
const blob = (bytes, type) => new Blob([bytes], { type });

test('PNG -> WebP: fits the box, never upscales, variants from one call, original described', async () => {
  const out = await processImage(blob(photoPng, 'image/png'), { maxWidth: 150, variants: { thumb: { maxWidth: 60, maxHeight: 60 }, big: { maxWidth: 1000 } } });
  assert.equal(out.type, 'image/webp');
  assert.deepEqual([out.width, out.height], [150, 100]);
  assert.deepEqual(dimensionsOf(new Uint8Array(await out.blob.arrayBuffer())), { width: 150, height: 100 });
  assert.equal(out.size, out.blob.size);
  assert.deepEqual([out.variants.thumb.width, out.variants.thumb.height], [60, 40]);
  assert.deepEqual([out.variants.big.width, out.variants.big.height], [300, 200], 'no upscaling');
  assert.deepEqual(Object.keys(out.variants).sort(), ['big', 'thumb']);
  assert.equal(out.original.type, 'image/png');
  assert.deepEqual([out.original.width, out.original.height, out.original.size], [300, 200, photoPng.length]);
  assert.equal(out.original.orientation, 1);
});

test('JPEG output, then EXIF orientation 6 and 8 turn the picture upright; GPS and EXIF never leave; ICC only when asked', async () => {
  const jpeg = Buffer.from(await (await processImage(blob(photoPng, 'image/png'), { format: 'jpeg', quality: 90 })).blob.arrayBuffer());
  assert.deepEqual(dimensionsOf(jpeg), { width: 300, height: 200 });
  for (const o of [6, 8]) {
    const tagged = withExif(jpeg, exif(o));
    assert.ok(tagged.includes(Buffer.from('Exif\0\0', 'latin1')));
    const out = await processImage(blob(tagged, 'image/jpeg'), { maxWidth: 100, format: 'jpeg' });
    assert.equal(out.original.orientation, o);
    assert.deepEqual([out.width, out.height], [100, 150], `orientation ${o}: portrait after rotation`);
    const bytes = new Uint8Array(await out.blob.arrayBuffer());
    assert.deepEqual(metadataOf(bytes), [], 'no EXIF (with its GPS IFD), XMP or comment in the output');
    assert.equal(Buffer.from(bytes).includes(Buffer.from([0x00, 0x00, 0x00, 0x30, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x33])), false, 'no GPS rationals');
    const asIs = await processImage(blob(tagged, 'image/jpeg'), { maxWidth: 100, autoOrient: false });
    assert.deepEqual([asIs.width, asIs.height], [100, 67], 'autoOrient: false leaves it as stored');
  }
  // An ICC profile: dropped by default, kept with keepIcc (JPEG and WebP outputs).
  const icc = Buffer.alloc(600, 7);
  icc.writeUInt32BE(600, 0);
  icc.write('acsp', 36, 'latin1');
  const withProfile = blob(withIcc(jpeg, icc), 'image/jpeg');
  const plain = await processImage(withProfile, { format: 'jpeg' });
  assert.deepEqual(metadataOf(new Uint8Array(await plain.blob.arrayBuffer())), []);
  assert.equal(plain.original.hasIcc, true);
  const kept = await processImage(withProfile, { format: 'jpeg', keepIcc: true, variants: { w: { format: 'webp' } } });
  assert.deepEqual(metadataOf(new Uint8Array(await kept.blob.arrayBuffer())), ['ICCP']);
  assert.deepEqual(metadataOf(new Uint8Array(await kept.variants.w.blob.arrayBuffer())), ['ICCP']);
});

test('PNG kinds: 16-bit, gray, palette with transparency, alpha kept in WebP', async () => {
  const sixteen = png(64, 48, scene, { colour: 'rgb', depth: 16 });
  const gray = png(64, 48, scene, { colour: 'gray' });
  const pal = palettePng(
    64,
    48,
    [
      [255, 0, 0, 255],
      [0, 0, 255, 0],
    ],
    (x) => (x < 32 ? 0 : 1),
  );
  const alpha = png(64, 48, (x) => [200, 100, 50, x * 4]);
  for (const [name, bytes, hasAlpha] of [
    ['16-bit', sixteen, false],
    ['gray', gray, false],
    ['palette', pal, true],
    ['alpha', alpha, true],
  ]) {
    const out = await processImage(blob(bytes, 'image/png'), { maxWidth: 32 });
    assert.deepEqual([out.width, out.height], [32, 24], name);
    assert.equal(out.original.hasAlpha, hasAlpha, name);
  }
});

test('bad input is a clear error, never a crash: HEIC, GIF, garbage, truncation, a 100 MP bomb, bad options, abort', async () => {
  const code = (p) =>
    p.then(
      () => 'resolved',
      (e) => e.code,
    );
  const heic = Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]);
  assert.equal(await code(processImage(blob(heic, 'image/heic'))), 'unsupported_image');
  await assert.rejects(processImage(blob(heic, 'image/heic')), /HEIC/);
  assert.equal(await code(processImage(blob(Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00\x00;', 'latin1'), 'image/gif'))), 'unsupported_image');
  assert.equal(await code(processImage(blob(Buffer.from('hello, not an image at all'), 'image/png'))), 'unsupported_image');
  assert.equal(await code(processImage(blob(Buffer.alloc(0), 'image/png'))), 'corrupt_image');
  // Cut-off files: every error is one of the image codes.
  for (const cut of [30, 60, 200, Math.floor(photoPng.length / 2), photoPng.length - 13]) {
    const c = await code(processImage(blob(photoPng.subarray(0, cut), 'image/png')));
    assert.ok(['truncated_image', 'corrupt_image'].includes(c), `PNG cut at ${cut}: ${c}`);
  }
  // 12 000 x 9 000 = 108 MP from a 100-byte file: refused from its header, before any allocation.
  const bomb = png(12000, 9000, null, { colour: 'rgb', idat: Buffer.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01]) });
  const t0 = performance.now();
  assert.equal(await code(processImage(blob(bomb, 'image/png'))), 'image_too_large');
  assert.ok(performance.now() - t0 < 5000);
  assert.equal(await code(processImage(blob(photoPng, 'image/png'), { maxPixels: 1000 })), 'image_too_large');
  assert.equal(await code(processImage(blob(photoPng, 'image/png'), { maxInputBytes: 100 })), 'image_too_large');
  for (const bad of [
    { quality: 101 },
    { quality: 1.5 },
    { method: 7 },
    { maxWidth: -1 },
    { format: 'gif' },
    { variants: { 'no spaces': {} } },
    { variants: [] },
    { keepIcc: 'yes' },
  ]) {
    assert.equal(await code(processImage(blob(photoPng, 'image/png'), bad)), 'bad_image_options', JSON.stringify(bad));
  }
  const ac = new AbortController();
  ac.abort();
  assert.equal(await code(processImage(blob(photoPng, 'image/png'), { signal: ac.signal })), 'aborted');
  // The module still works after all that.
  assert.equal((await processImage(blob(photoPng, 'image/png'), { maxWidth: 10 })).width, 10);
});

async function setup(t, routes) {
  const dir = await tempDir(t);
  const completed = [];
  const handler = createHandler({
    secret: SECRET,
    storage: localStorage({ store: fsStore(dir), secret: SECRET }),
    routes: {
      photos: defineRoute({
        maxFileSize: '2MB',
        allowedFileTypes: ['image/*'],
        variants: ['thumb', 'medium'],
        onUploadComplete: ({ key, variant }) => (completed.push(variant ? `${variant.name} of ${variant.of}` : key), { seen: key }),
      }),
      plain: defineRoute({ maxFileSize: '2MB', allowedFileTypes: ['image/*'] }),
      ...routes,
    },
  });
  const srv = await serve(handler);
  t.after(() => srv.close());
  const uploader = createUploader({ endpoint: `${srv.url}/api/vs3`, core: await loadCoreNode() });
  t.after(() => uploader.dispose());
  return { dir, handler, uploader, completed };
}
const onDisk = (dir, key) => readFile(path.join(dir, 'objects', key));

test('upload with transform: the processed file is what is sent and checked; variants are stored under its key', async (t) => {
  const { dir, uploader, completed } = await setup(t);
  const file = new File([photoPng], 'holiday.png', { type: 'image/png' });
  const r = await uploader.upload(file, {
    route: 'photos',
    transform: imageTransform({ maxWidth: 200, variants: { thumb: { maxWidth: 50 }, medium: { maxWidth: 120, format: 'jpeg' } } }),
  });
  assert.equal(r.type, 'image/webp');
  assert.equal(r.name, 'holiday.webp');
  assert.match(r.key, /^photos\/[\w-]+\/holiday\.webp$/);
  const main = await onDisk(dir, r.key);
  assert.equal(r.size, main.length);
  assert.deepEqual(dimensionsOf(main), { width: 200, height: 133 });
  assert.equal(r.sha256, sha256hex(main));
  assert.deepEqual(r.result, { seen: r.key });
  assert.deepEqual(
    completed.sort(),
    [r.key, `medium of ${r.key}`, `thumb of ${r.key}`].sort(),
    'onUploadComplete ran for the original, then for each variant with variant set',
  );
  const byName = Object.fromEntries(r.variants.map((v) => [v.name, v]));
  assert.equal(byName.thumb.key, `${r.key}.variants/thumb.webp`);
  assert.equal(byName.medium.key, `${r.key}.variants/medium.jpg`);
  assert.equal(byName.medium.type, 'image/jpeg');
  for (const v of r.variants) {
    const stored = await onDisk(dir, v.key);
    assert.equal(stored.length, v.size);
    assert.equal(v.sha256, sha256hex(stored));
    assert.deepEqual(dimensionsOf(stored), { width: v.width, height: v.height });
  }
  assert.deepEqual([byName.thumb.width, byName.thumb.height], [50, 33]);

  // A name given to add() keeps its stem and takes the output's extension.
  const named = await uploader.upload(file, { route: 'photos', name: 'avatar.png', transform: imageTransform({ maxWidth: 40 }) });
  assert.equal(named.name, 'avatar.webp');
  // A transform that returns a bare Blob gets the same naming: the file's stem, the output's extension.
  const bare = await uploader.upload(file, { route: 'photos', transform: async (f) => (await processImage(f, { maxWidth: 40, format: 'jpeg' })).blob });
  assert.equal(bare.name, 'holiday.jpg');
  // Size limits apply to the processed output: a lossless full-size variant over 2 MB is refused.
  const noise = randomBytes(1200 * 900 * 3);
  const big = png(1200, 900, (x, y) => [...noise.subarray((y * 1200 + x) * 3, (y * 1200 + x) * 3 + 3), 255], { colour: 'rgb' });
  await assert.rejects(
    uploader.upload(new File([big], 'noise.png', { type: 'image/png' }), { route: 'photos', transform: imageTransform({ lossless: true }) }),
    (e) => e.code === 'file_too_large',
  );
  // A transform that fails fails the upload, and nothing is sent.
  await assert.rejects(
    uploader.upload(new File([Buffer.from('not an image')], 'x.png', { type: 'image/png' }), { route: 'photos', transform: imageTransform() }),
    (e) => e.code === 'unsupported_image',
  );
});

test('the handler refuses variant uploads that do not belong to a stored upload of the route', async (t) => {
  const { handler, uploader } = await setup(t);
  const body = (variant, route = 'photos') => ({ route, file: { name: 'a.webp', size: 10, type: 'image/webp', sha256: 'a'.repeat(64) }, variant });
  const err = async (res) => ({ status: res.status, code: (await res.json()).error?.code });
  // A real upload to hang variants on, and its token.
  const p = await post(handler, '/api/vs3/presign', body(undefined));
  const { token } = await p.json();
  assert.deepEqual(
    await err(await post(handler, '/api/vs3/presign', body({ of: token, name: 'thumb' }))),
    { status: 409, code: 'variant_not_allowed' },
    'original not stored yet',
  );
  assert.deepEqual(
    await err(await post(handler, '/api/vs3/presign', body({ of: token, name: 'thumb' }, 'plain'))),
    { status: 400, code: 'variant_not_allowed' },
    'route takes none',
  );
  assert.deepEqual(
    await err(await post(handler, '/api/vs3/presign', body({ of: token, name: 'huge' }))),
    { status: 400, code: 'variant_not_allowed' },
    'name not allowed',
  );
  assert.deepEqual(await err(await post(handler, '/api/vs3/presign', body({ of: token, name: '../x' }))), { status: 400, code: 'variant_not_allowed' });
  assert.deepEqual(await err(await post(handler, '/api/vs3/presign', body({ of: `${token.slice(0, -3)}AAA`, name: 'thumb' }))), {
    status: 403,
    code: 'invalid_token',
  });
  assert.deepEqual(await err(await post(handler, '/api/vs3/presign', body({ name: 'thumb' }))), { status: 400, code: 'variant_not_allowed' });

  // Once stored, a variant of it is taken; a variant of that variant is not.
  const stored = await uploader.upload(new File([photoPng], 'p.png', { type: 'image/png' }), {
    route: 'photos',
    transform: imageTransform({ maxWidth: 100, variants: { thumb: { maxWidth: 20 } } }),
  });
  assert.equal(stored.variants.length, 1);
  const other = await uploader.upload(new File([photoPng], 'q.png', { type: 'image/png' }), { route: 'plain', transform: imageTransform({ maxWidth: 90 }) });
  assert.equal(other.variants, undefined, 'no variants asked, none listed');
  await assert.rejects(
    uploader.upload(new File([photoPng], 'r.png', { type: 'image/png' }), {
      route: 'plain',
      transform: imageTransform({ maxWidth: 90, variants: { thumb: { maxWidth: 10 } } }),
    }),
    (e) => e.code === 'variant_not_allowed',
  );
});

test('the client refuses, before sending anything, a file whose bytes are not its declared type (the core sniffs)', async (t) => {
  const { dir, handler } = await setup(t);
  const srv = await serve(handler);
  t.after(() => srv.close());
  const calls = [];
  const uploader = createUploader({
    endpoint: `${srv.url}/api/vs3`,
    core: await loadCoreNode(),
    fetch: (u, i) => (calls.push(new URL(u).pathname), fetch(u, i)),
  });
  t.after(() => uploader.dispose());
  const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]), Buffer.alloc(200)]);
  const svg = Buffer.from('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  for (const [name, bytes, type] of [
    ['photo.png', elf, 'image/png'],
    ['photo.jpg', photoPng, 'image/jpeg'],
    ['pic.png', svg, 'image/png'],
  ]) {
    await assert.rejects(
      uploader.upload(new File([bytes], name, { type }), { route: 'plain' }),
      (e) => e.code === 'content_mismatch' && e.status === 415,
      name,
    );
  }
  assert.deepEqual(calls, [], 'no request reached the handler');
  // Types without a signature are the route's to judge: a shebang script declared text/plain is sent.
  const plainRoute = await uploader.upload(new File(['#!/bin/sh\necho hi\n'], 'run.txt', { type: 'text/plain' }), { route: 'files' }).catch((e) => e);
  assert.notEqual(plainRoute.code, 'content_mismatch');
  calls.length = 0;
  // The check can be turned off (the server still checks routes with type rules at completion).
  const lax = createUploader({
    endpoint: `${srv.url}/api/vs3`,
    core: await loadCoreNode(),
    checkContent: false,
    fetch: (u, i) => (calls.push(new URL(u).pathname), fetch(u, i)),
  });
  t.after(() => lax.dispose());
  await assert.rejects(lax.upload(new File([elf], 'photo.png', { type: 'image/png' }), { route: 'plain' }), (e) => e.code === 'content_mismatch');
  assert.deepEqual(calls.slice(0, 1), ['/api/vs3/presign'], 'sent, then refused by the handler');
  // The real thing goes through.
  const ok = await uploader.upload(new File([photoPng], 'photo.png', { type: 'image/png' }), { route: 'plain' });
  assert.equal((await onDisk(dir, ok.key)).length, photoPng.length);
});

test('sniffBlob: the core names what bytes are, whatever the name or declared type says', async () => {
  const core = await loadCoreNode();
  const as = (bytes, type = 'application/octet-stream') => sniffBlob(core, new Blob([bytes], { type }));
  assert.equal(await as(photoPng, 'image/jpeg'), 'image/png');
  assert.equal(await as(Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic', 'latin1'), Buffer.alloc(16)])), 'image/heic');
  assert.equal(await as(Buffer.from('%PDF-1.7\n')), 'application/pdf');
  assert.equal(await as(Buffer.from('  <!DOCTYPE html><p>hi')), 'text/html');
  assert.equal(await as(Buffer.from('just words')), null);
});
