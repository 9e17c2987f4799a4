// A Worker that makes image variants server-side with vs3/image: the image module comes in as a
// compiled WebAssembly.Module (how Workers import .wasm), and runs in the request's thread.
// POST a JPEG/PNG/WebP body: answers the main WebP (body) and, in headers, each output's size.
import { processImage } from 'vs3/image';
import wasm from './vs3image.wasm';

export default {
  async fetch(request) {
    if (request.method !== 'POST') return new Response('POST an image', { status: 405 });
    try {
      const out = await processImage(await request.blob(), {
        wasm,
        maxWidth: Number(new URL(request.url).searchParams.get('w') ?? 1280),
        variants: { thumb: { maxWidth: 64, maxHeight: 64, format: 'jpeg' } },
      });
      const thumb = out.variants.thumb;
      return new Response(out.blob, {
        headers: {
          'content-type': out.type,
          'x-size': `${out.width}x${out.height}`,
          'x-thumb': `${thumb.width}x${thumb.height} ${thumb.type} ${thumb.size}`,
          'x-original': `${out.original.width}x${out.original.height} ${out.original.type} orientation ${out.original.orientation}`,
        },
      });
    } catch (e) {
      return Response.json({ error: { code: e.code ?? 'internal_error', message: String(e.message ?? e) } }, { status: e.status ?? 500 });
    }
  },
};
