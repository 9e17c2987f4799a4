// vs3/image in real Chromium through the demo: processImage on the page goes to the worker pool, so
// the page's thread stays free (longest main-thread task measured with a PerformanceObserver); the
// demo's images route shows a preview made by the pipeline, the processed size, and stores the
// processed WebP with its thumbnail variant; a file whose bytes are not its declared type is refused
// before anything is sent.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { dimensionsOf, exif, metadataOf, png, withExif } from '../tests/js/image-fixtures.mjs';
import { tempDir } from '../tests/js/helpers.mjs';
import { launchChromium, startDemo } from './browser.mjs';

let browser;
let demo;
let dataDir;
before(async () => {
  browser = await launchChromium();
});
after(async () => {
  await demo?.stop();
  await browser?.close();
});

async function openDemo(t) {
  if (!demo) {
    dataDir = await tempDir({ after: () => {} });
    demo = await startDemo({ VS3_DATA_DIR: dataDir, VS3_S3_ENDPOINT: '' });
  }
  const page = await browser.newPage();
  const errors = [];
  const requests = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  t.after(() => page.close());
  await page.goto(demo.url);
  return { page, errors, requests };
}

test('processImage on a page runs in a worker: a 12 MP JPEG becomes a 1920 px WebP while the page thread stays free', async (t) => {
  const { page, errors } = await openDemo(t);
  const r = await page.evaluate(async () => {
    // A 4000 x 3000 photo-like JPEG, made here before the measurement starts.
    const c = new OffscreenCanvas(4000, 3000);
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 4000, 3000);
    grad.addColorStop(0, '#2a6f97');
    grad.addColorStop(1, '#f4a261');
    g.fillStyle = grad;
    g.fillRect(0, 0, 4000, 3000);
    for (let i = 0; i < 400; i++) {
      g.fillStyle = `hsl(${(i * 37) % 360} 60% 50% / 0.5)`;
      g.beginPath();
      g.arc((i * 997) % 4000, (i * 613) % 3000, 20 + (i % 90), 0, 7);
      g.fill();
    }
    const jpeg = await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
    const { processImage } = await import('/vs3/image/index.js');
    const tasks = [];
    const obs = new PerformanceObserver((l) => tasks.push(...l.getEntries().map((e) => e.duration)));
    obs.observe({ type: 'longtask', buffered: false });
    // A heartbeat: the largest gap between timer ticks is how long the page could not respond.
    let last = performance.now();
    let maxGap = 0;
    const beat = setInterval(() => {
      const now = performance.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    const t0 = performance.now();
    const out = await processImage(jpeg, { maxWidth: 1920, format: 'webp', quality: 80, variants: { thumb: { maxWidth: 256 } } });
    const ms = performance.now() - t0;
    clearInterval(beat);
    await new Promise((res) => setTimeout(res, 50));
    obs.disconnect();
    const bitmap = await createImageBitmap(out.blob);
    return {
      ms,
      maxGap,
      longest: Math.max(0, ...tasks),
      jpegSize: jpeg.size,
      out: { width: out.width, height: out.height, type: out.type, size: out.size, decoded: [bitmap.width, bitmap.height] },
      thumb: [out.variants.thumb.width, out.variants.thumb.height],
      original: out.original,
    };
  });
  console.log(
    `# 12 MP JPEG (${(r.jpegSize / 1e6).toFixed(1)} MB) -> ${r.out.width}x${r.out.height} WebP ${(r.out.size / 1e3).toFixed(0)} kB + thumb in ${r.ms.toFixed(0)} ms; ` +
      `longest main-thread task ${r.longest.toFixed(0)} ms, largest timer gap ${r.maxGap.toFixed(0)} ms`,
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(r.out.decoded, [1920, 1440], 'Chromium decodes the output at the right size');
  assert.equal(r.out.type, 'image/webp');
  assert.deepEqual(r.thumb, [256, 192]);
  assert.deepEqual([r.original.width, r.original.height, r.original.type], [4000, 3000, 'image/jpeg']);
  assert.ok(
    page.workers().some((w) => /\/vs3\/image\/worker\.js$/.test(w.url())),
    'the work ran in the pool worker',
  );
  // The decode and encode take hundreds of milliseconds; none of it may block the page.
  assert.ok(r.longest < 200, `longest main-thread task ${r.longest} ms`);
});

test('demo images route: preview from the pipeline, original vs processed size, WebP stored with its thumbnail, EXIF gone', async (t) => {
  const { page, errors } = await openDemo(t);
  const dir = await tempDir(t);
  // A portrait photo stored landscape with EXIF orientation 6 (and GPS), as phones write them.
  const jpeg = await page.evaluate(async () => {
    const c = new OffscreenCanvas(1200, 800);
    const g = c.getContext('2d');
    g.fillStyle = '#345';
    g.fillRect(0, 0, 1200, 800);
    g.fillStyle = '#e76f51';
    g.fillRect(100, 100, 500, 300);
    const b = await c.convertToBlob({ type: 'image/jpeg', quality: 0.92 });
    return Array.from(new Uint8Array(await b.arrayBuffer()));
  });
  const tagged = withExif(Buffer.from(jpeg), exif(6));
  const file = path.join(dir, 'phone.jpg');
  await (await import('node:fs/promises')).writeFile(file, tagged);
  await page.selectOption('#route', 'images');
  await page.setInputFiles('#picker', file);
  const li = page.locator('#uploads li[data-name="phone.jpg"]');
  await li.and(page.locator('.done, .error')).waitFor({ timeout: 60_000 });
  const row = await li.evaluate((e) => ({ ...e.dataset, cls: e.className, text: e.textContent, img: e.querySelector('img.preview')?.naturalWidth }));
  assert.match(row.cls, /done/, JSON.stringify(row));
  assert.deepEqual(errors, []);
  assert.equal(row.processed, '800x1200', 'upright: the EXIF rotation was applied');
  assert.equal(row.img, 213, 'the preview is the 320 px thumbnail (213.3 rounded)');
  assert.match(row.text, /1200×800 jpeg .* → 800×1200 webp/);
  assert.equal(Number(row.originalSize), tagged.length);
  const stored = await readFile(path.join(dataDir, 'objects', row.key));
  assert.equal(stored.length, Number(row.processedSize));
  assert.deepEqual(dimensionsOf(stored), { width: 800, height: 1200 });
  assert.deepEqual(metadataOf(stored), [], 'no EXIF/GPS in the stored image');
  assert.equal(row.variants, `${row.key}.variants/thumb.webp`);
  const thumb = await readFile(path.join(dataDir, 'objects', row.variants));
  assert.deepEqual(dimensionsOf(thumb), { width: 213, height: 320 });
});

test('demo images route: a HEIC or a non-image gets a clear error and nothing is sent', async (t) => {
  const { page, requests } = await openDemo(t);
  const dir = await tempDir(t);
  const heic = path.join(dir, 'IMG_0001.heic');
  const fs = await import('node:fs/promises');
  await fs.writeFile(heic, Buffer.concat([Buffer.from([0, 0, 0, 0x18]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(256)]));
  await page.selectOption('#route', 'images');
  await page.setInputFiles('#picker', heic);
  const li = page.locator('#uploads li[data-name="IMG_0001.heic"]');
  await li.and(page.locator('.error')).waitFor({ timeout: 30_000 });
  assert.equal(await li.getAttribute('data-error'), 'unsupported_image');
  assert.match(await li.textContent(), /HEIC/);
  assert.equal(requests.filter((p) => p.startsWith('/api/vs3/')).length, 0, 'no request to the handler');
  // A PNG that is not one: refused by the pipeline the same way.
  const fake = path.join(dir, 'fake.png');
  await fs.writeFile(fake, png(4, 4, () => [0, 0, 0, 255]).subarray(0, 20));
  await page.setInputFiles('#picker', fake);
  const li2 = page.locator('#uploads li[data-name="fake.png"]');
  await li2.and(page.locator('.error')).waitFor({ timeout: 30_000 });
  assert.match(await li2.getAttribute('data-error'), /^(truncated_image|corrupt_image)$/);
});
