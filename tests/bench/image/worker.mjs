// The image benchmark's worker: one contender per (fresh) module worker. Loads its code, pushes a tiny
// 64x48 JPEG through the whole pipeline (so every lazily initialised WASM module is fetched, compiled
// and instantiated — "load"), then converts the 12 MP JPEG `runs` times, each timed from the input
// Blob to the output Blob. Replies { loadMs, runs: [{ ms, blob, width, height, stages? }], wasm }, where
// stages (canvas, jSquash) splits a run into decode / resize / encode ms.
import { wasmReport } from './probe.mjs';

const QUALITY = 80;

/** Output size: at most maxWidth wide, aspect ratio kept, never upscaled (what vs3 does). */
function fit(width, height, maxWidth) {
  const w = Math.min(maxWidth, width);
  return { width: w, height: Math.round((height * w) / width) };
}

const contenders = {
  /** The browser's own decoder, scaler and encoder (Skia; software here: Chromium runs with --disable-gpu). */
  async canvas() {
    return {
      async convert(blob, maxWidth) {
        const t0 = performance.now();
        const bmp = await createImageBitmap(blob);
        const t1 = performance.now();
        const { width, height } = fit(bmp.width, bmp.height, maxWidth);
        const canvas = new OffscreenCanvas(width, height);
        const ctx = canvas.getContext('2d');
        ctx.imageSmoothingEnabled = true;
        ctx.imageSmoothingQuality = 'high';
        ctx.drawImage(bmp, 0, 0, width, height);
        bmp.close();
        const t2 = performance.now();
        const out = await canvas.convertToBlob({ type: 'image/webp', quality: QUALITY / 100 });
        return { blob: out, width, height, stages: { decode: t1 - t0, resize: t2 - t1, encode: performance.now() - t2 } };
      },
    };
  },

  /** jSquash: MozJPEG decoder, squoosh's Rust resize (lanczos3, package defaults otherwise), libwebp encoder. */
  async jsquash() {
    const [{ default: decode }, { default: resize }, { default: encode }] = await Promise.all([
      import('/nm/@jsquash/jpeg/decode.js'),
      import('/nm/@jsquash/resize/index.js'),
      import('/nm/@jsquash/webp/encode.js'),
    ]);
    return {
      async convert(blob, maxWidth) {
        const t0 = performance.now();
        const image = await decode(await blob.arrayBuffer());
        const t1 = performance.now();
        const { width, height } = fit(image.width, image.height, maxWidth);
        const resized = width === image.width && height === image.height ? image : await resize(image, { width, height, method: 'lanczos3' });
        const t2 = performance.now();
        const webp = await encode(resized, { quality: QUALITY });
        const out = new Blob([webp], { type: 'image/webp' });
        return { blob: out, width, height, stages: { decode: t1 - t0, resize: t2 - t1, encode: performance.now() - t2 } };
      },
    };
  },

  /** vs3/image, built to js/dist/image/ (runs directly inside a worker, no nested pool). */
  vs3: () => vs3({}),
  /** Diagnostic (opt-in): vs3 at libwebp method 3, the effort Skia's WebP encoder (canvas) uses; vs3's default is 4. */
  'vs3-m3': () => vs3({ method: 3 }),
};

async function vs3(extra) {
  const { processImage } = await import('/vs3/image/index.js');
  return {
    async convert(blob, maxWidth) {
      const r = await processImage(blob, { maxWidth, format: 'webp', quality: QUALITY, ...extra });
      return { blob: r.blob, width: r.width, height: r.height, type: r.type, size: r.size };
    },
  };
}

/** A small JPEG made here, for the load phase. */
async function tinyJpeg() {
  const c = new OffscreenCanvas(64, 48);
  const ctx = c.getContext('2d');
  const g = ctx.createLinearGradient(0, 0, 64, 48);
  g.addColorStop(0, '#48c');
  g.addColorStop(1, '#c84');
  ctx.fillStyle = g;
  ctx.fillRect(0, 0, 64, 48);
  return c.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
}

self.onmessage = async ({ data: { name, source, maxWidth, runs } }) => {
  try {
    const tiny = await tinyJpeg();
    const t0 = performance.now();
    const impl = await contenders[name]();
    await impl.convert(tiny, maxWidth);
    const loadMs = performance.now() - t0;
    const out = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      const r = await impl.convert(source, maxWidth);
      out.push({ ms: performance.now() - t, ...r });
    }
    self.postMessage({ loadMs, runs: out, wasm: wasmReport() });
  } catch (e) {
    self.postMessage({ error: String(e?.stack ?? e), wasm: wasmReport() });
  }
};
