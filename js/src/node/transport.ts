// The PUT transport for Node: node:http(s) requests with the part's bytes written as they are, so no
// copy of the body is buffered inside fetch (undici), and upload progress is reported as the socket
// drains — which gives the engine's stall detection something to watch in Node too. A range body
// (the part re-read from its file while sending) is read a chunk at a time, one chunk ahead of the
// socket: no part-sized buffer at all.
import http from 'node:http';
import https from 'node:https';
import type { PutRequest, PutResponse, RangeBody, Transport } from '../client/transport.js';
import { abortedError } from '../errors.js';

// Progress is reported per chunk written; 256 KiB keeps events frequent without much overhead.
const CHUNK = 256 * 1024;

/**
 * Part PUTs through node:http(s) (`agent`: an http.Agent for keep-alive or proxies), reporting progress as
 * the socket drains. Sends Uint8Array and range bodies only (a Blob rejects with TypeError); a range that
 * cannot be read again (the file changed) rejects with that error rather than a network status.
 */
export function nodeTransport(opts: { agent?: http.Agent } = {}): Transport {
  // Chunk buffers for range bodies, reused: the garbage collector is slow to free external memory.
  const spare: Uint8Array[] = [];
  const MAX_SPARE = 32;
  return {
    put(req: PutRequest): Promise<PutResponse> {
      return new Promise((resolve, reject) => {
        if (req.signal?.aborted) return reject(abortedError());
        const url = new URL(req.url);
        const body = req.body instanceof Uint8Array ? req.body : 'readInto' in req.body ? req.body : null;
        if (!body) return reject(new TypeError('nodeTransport sends Uint8Array or range bodies'));
        const size = body instanceof Uint8Array ? body.byteLength : body.size;
        const mod = url.protocol === 'https:' ? https : http;
        let settled = false;
        const done = (fn: () => void) => {
          if (settled) return;
          settled = true;
          req.signal?.removeEventListener('abort', onAbort);
          fn();
        };
        const r = mod.request(url, {
          method: 'PUT',
          headers: { ...req.headers, 'content-length': String(size) },
          ...(opts.agent ? { agent: opts.agent } : {}),
        });
        const onAbort = () => {
          r.destroy();
          done(() => reject(abortedError()));
        };
        req.signal?.addEventListener('abort', onAbort, { once: true });
        r.on('error', () => done(() => resolve({ status: 0, header: () => null, body: '' })));
        r.on('response', (res) => {
          // A signed PUT is never followed to another host: a redirect is just a failed status.
          const chunks: Buffer[] = [];
          let received = 0;
          res.on('data', (c: Buffer) => {
            if (received < 65536) chunks.push(c);
            received += c.length;
          });
          res.on('error', () => done(() => resolve({ status: 0, header: () => null, body: '' })));
          res.on('end', () =>
            done(() => {
              const status = res.statusCode ?? 0;
              if (status >= 200 && status < 300) req.onProgress?.(size);
              resolve({
                status,
                header: (n) => {
                  const v = res.headers[n.toLowerCase()];
                  return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
                },
                body: Buffer.concat(chunks).toString('utf8'),
              });
            }),
          );
        });
        let off = 0;
        const pump = () => {
          if (!(body instanceof Uint8Array)) return void pumpRange(body);
          while (off < size) {
            const end = Math.min(size, off + CHUNK);
            const ok = r.write(body.subarray(off, end));
            off = end;
            if (!ok) return void r.once('drain', () => (req.onProgress?.(off), pump()));
          }
          r.end();
        };
        const pumpRange = async (range: RangeBody) => {
          try {
            while (off < size && !settled) {
              const n = Math.min(CHUNK, size - off);
              const buf = spare.pop() ?? new Uint8Array(CHUNK);
              const chunk = buf.subarray(0, n);
              await range.readInto(off, chunk);
              off += n;
              // Back to the pool once written out (the callback), not when the GC gets to it.
              if (!r.write(chunk, () => spare.length < MAX_SPARE && spare.push(buf))) {
                await new Promise((res) => r.once('drain', res));
                req.onProgress?.(off);
              }
            }
            r.end();
          } catch (e) {
            // The file could not be read again (changed, removed): not a network error.
            r.destroy();
            done(() => reject(e));
          }
        };
        pump();
      });
    },
  };
}
