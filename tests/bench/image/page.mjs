// The image benchmark's page (driven over CDP by tests/bench/image.mjs): makes the source JPEG, runs
// each contender in a fresh module worker (./worker.mjs) and checks every output here afterwards.

// An idle dedicated worker, so the runner can tell this page's renderer process from any other.
const marker = new Worker(URL.createObjectURL(new Blob(['onmessage = () => {}'], { type: 'text/javascript' })));

let source = null;
let reference = null; // RGBA of the source scaled to the target size by the browser (for PSNR)
const outputs = {};

/** xorshift32 in [0, 1). */
function rng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/**
 * A deterministic photo-like picture: a sky/ground gradient, a few hundred soft shapes (radial
 * gradients, rectangles, ellipses), a few thousand thin strokes (texture: grass, hair, edges), then
 * sensor-like noise (mostly luma, a little chroma) — encoded by the browser as JPEG quality 0.9.
 */
async function makeSource(width, height) {
  const t0 = performance.now();
  const rand = rng(0x5eed1234);
  const c = new OffscreenCanvas(width, height);
  const ctx = c.getContext('2d');
  const sky = ctx.createLinearGradient(0, 0, width * 0.2, height);
  sky.addColorStop(0, '#3d6fb6');
  sky.addColorStop(0.45, '#cfe0ee');
  sky.addColorStop(0.5, '#7d9a4a');
  sky.addColorStop(1, '#3a2c1c');
  ctx.fillStyle = sky;
  ctx.fillRect(0, 0, width, height);
  const hsl = () => `hsla(${Math.floor(rand() * 360)},${30 + Math.floor(rand() * 60)}%,${20 + Math.floor(rand() * 60)}%,${(0.3 + rand() * 0.7).toFixed(2)})`;
  for (let i = 0; i < 400; i++) {
    const x = rand() * width;
    const y = rand() * height;
    const r = 20 + rand() * width * 0.08;
    const kind = i % 3;
    if (kind === 0) {
      const g = ctx.createRadialGradient(x, y, r * 0.1, x, y, r);
      g.addColorStop(0, hsl());
      g.addColorStop(1, 'rgba(0,0,0,0)');
      ctx.fillStyle = g;
      ctx.fillRect(x - r, y - r, 2 * r, 2 * r);
    } else if (kind === 1) {
      const g = ctx.createLinearGradient(x - r, y, x + r, y + r);
      g.addColorStop(0, hsl());
      g.addColorStop(1, hsl());
      ctx.fillStyle = g;
      ctx.save();
      ctx.translate(x, y);
      ctx.rotate(rand() * Math.PI);
      ctx.fillRect(-r, -r * 0.6, 2 * r, 1.2 * r);
      ctx.restore();
    } else {
      ctx.fillStyle = hsl();
      ctx.beginPath();
      ctx.ellipse(x, y, r, r * (0.3 + rand() * 0.7), rand() * Math.PI, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  for (let i = 0; i < 6000; i++) {
    const x = rand() * width;
    const y = height * (0.45 + rand() * 0.55);
    ctx.strokeStyle = hsl();
    ctx.lineWidth = 0.5 + rand() * 2.5;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.quadraticCurveTo(x + (rand() - 0.5) * 40, y - rand() * 60, x + (rand() - 0.5) * 80, y - 20 - rand() * 120);
    ctx.stroke();
  }
  const img = ctx.getImageData(0, 0, width, height);
  const d = img.data; // Uint8ClampedArray: additions clamp
  for (let i = 0; i < d.length; i += 4) {
    const luma = (rand() + rand() + rand() - 1.5) * 14;
    d[i] += luma + (rand() - 0.5) * 4;
    d[i + 1] += luma + (rand() - 0.5) * 4;
    d[i + 2] += luma + (rand() - 0.5) * 4;
  }
  ctx.putImageData(img, 0, 0);
  source = await c.convertToBlob({ type: 'image/jpeg', quality: 0.9 });
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', await source.arrayBuffer()));
  const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
  return { width, height, size: source.size, type: source.type, sha256, ms: performance.now() - t0 };
}

/** Runs one contender in a fresh module worker; keeps its outputs for verify(). */
function run(name, maxWidth, runs) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const w = new Worker('/bench/worker.mjs', { type: 'module', name: `bench-${name}` });
    const done = (out) => {
      w.terminate();
      outputs[name] = out.runs ?? [];
      resolve({
        wallMs: performance.now() - t0,
        loadMs: out.loadMs,
        error: out.error,
        wasm: out.wasm,
        runs: (out.runs ?? []).map((r) => ({ ms: r.ms, size: r.blob?.size, type: r.blob?.type, width: r.width, height: r.height, stages: r.stages })),
      });
    };
    w.onmessage = (e) => done(e.data);
    w.onerror = (e) => done({ error: e.message || 'worker failed to load' });
    w.postMessage({ name, source, maxWidth, runs });
  });
}

async function pixels(blob, width, height) {
  const bmp = await createImageBitmap(blob);
  const c = new OffscreenCanvas(width, height);
  const ctx = c.getContext('2d');
  ctx.drawImage(bmp, 0, 0);
  bmp.close();
  return ctx.getImageData(0, 0, width, height).data;
}

function psnr(a, b) {
  let se = 0;
  let n = 0;
  for (let i = 0; i < a.length; i += 4) {
    for (let k = 0; k < 3; k++) {
      const e = a[i + k] - b[i + k];
      se += e * e;
    }
    n += 3;
  }
  return se === 0 ? Infinity : 10 * Math.log10((255 * 255 * n) / se);
}

/**
 * Checks the outputs of the last run of `name`: a WebP (RIFF....WEBP) that the browser decodes to
 * width x height; PSNR of its pixels against the browser's own high-quality downscale of the source.
 */
async function verify(name, width, height) {
  if (!reference) {
    const bmp = await createImageBitmap(source, { resizeWidth: width, resizeHeight: height, resizeQuality: 'high' });
    const c = new OffscreenCanvas(width, height);
    c.getContext('2d').drawImage(bmp, 0, 0);
    bmp.close();
    reference = c.getContext('2d').getImageData(0, 0, width, height).data;
  }
  const checks = [];
  for (const r of outputs[name] ?? []) {
    const problems = [];
    const head = new Uint8Array(await r.blob.slice(0, 12).arrayBuffer());
    const ascii = (a, b) => String.fromCharCode(...head.subarray(a, b));
    if (ascii(0, 4) !== 'RIFF' || ascii(8, 12) !== 'WEBP') problems.push(`not a WebP (starts ${JSON.stringify(ascii(0, 12))})`);
    let decoded = null;
    try {
      const bmp = await createImageBitmap(r.blob);
      decoded = { width: bmp.width, height: bmp.height };
      bmp.close();
    } catch (e) {
      problems.push(`the browser cannot decode it: ${e?.message ?? e}`);
    }
    if (decoded && (decoded.width !== width || decoded.height !== height))
      problems.push(`decodes to ${decoded.width}x${decoded.height}, expected ${width}x${height}`);
    if (r.width !== width || r.height !== height) problems.push(`reported ${r.width}x${r.height}`);
    if (r.type !== undefined && r.type !== 'image/webp') problems.push(`reported type ${r.type}`);
    if (r.size !== undefined && r.size !== r.blob.size) problems.push(`reported size ${r.size}, blob is ${r.blob.size}`);
    let db = null;
    if (!problems.length) db = psnr(await pixels(r.blob, width, height), reference);
    checks.push({ size: r.blob.size, psnr: db, problems });
  }
  delete outputs[name];
  return checks;
}

window.bench = { makeSource, run, verify };
window.benchReady = true;
void marker;
