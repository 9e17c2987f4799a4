// How bytes reach storage. XHR in browsers (it reports upload progress; fetch does not),
// fetch elsewhere. A network failure is status 0, never a throw, so the retry policy sees it.
import { abortedError } from '../errors.js';

/** A part read again from its source as it is sent (Node: the file on disk), holding no part buffer. */
export interface RangeBody {
  /** Bytes in the part. */
  size: number;
  /** Fills `target` with the bytes at `offset` within the part. */
  readInto(offset: number, target: Uint8Array): Promise<void>;
}

/** One part (or single) PUT for a Transport to send. */
export interface PutRequest {
  /** The presigned URL. */
  url: string;
  /** Headers to send as-is (they are signed). */
  headers: Record<string, string>;
  /** A part's bytes (already read and hashed), a Blob slice, or a range re-read while sending. */
  body: Blob | Uint8Array | RangeBody;
  /** Aborting stops the request: put() rejects with Vs3Error('aborted'). */
  signal?: AbortSignal;
  /** Bytes of the body sent so far (the whole size once storage accepted it). */
  onProgress?: (bytesSent: number) => void;
}

/** Storage's answer to a PUT. */
export interface PutResponse {
  /** 0: no response (network error, CORS refusal, timeout). */
  status: number;
  /** A response header (case-insensitive), or null; ETag is what the queue reads. */
  header(name: string): string | null;
  /** The response body as text (S3 error XML on failure). */
  body: string;
}

/** How part PUTs are sent. A network failure resolves with status 0 (so it is retried); only an abort rejects. */
export interface Transport {
  /** Sends one PUT and resolves with storage's answer (any status). */
  put(req: PutRequest): Promise<PutResponse>;
}

const sizeOf = (b: Blob | Uint8Array | RangeBody) => (b instanceof Uint8Array ? b.byteLength : b.size);

/** Bodies XHR and fetch can send as they are: a range is read whole first (bounded by the part size). */
async function sendable(b: Blob | Uint8Array | RangeBody): Promise<Blob | Uint8Array> {
  if (b instanceof Uint8Array || (typeof Blob !== 'undefined' && b instanceof Blob)) return b;
  const bytes = new Uint8Array(b.size);
  await (b as RangeBody).readInto(0, bytes);
  return bytes;
}

/** PUTs through XMLHttpRequest, which reports upload progress (fetch does not); a redirect counts as a failed status (310). Browsers only. */
export function xhrTransport(): Transport {
  return {
    async put(req) {
      const body = await sendable(req.body);
      return new Promise((resolve, reject) => {
        if (req.signal?.aborted) return reject(abortedError());
        const xhr = new XMLHttpRequest();
        xhr.open('PUT', req.url);
        for (const [k, v] of Object.entries(req.headers)) xhr.setRequestHeader(k, v);
        xhr.upload.onprogress = (e) => req.onProgress?.(e.loaded);
        const onAbort = () => xhr.abort();
        req.signal?.addEventListener('abort', onAbort, { once: true });
        const done = () => req.signal?.removeEventListener('abort', onAbort);
        xhr.onload = () => {
          done();
          // XHR follows redirects by itself and cannot be told not to: an answer from another URL
          // than the signed one is not storage's answer to this PUT (a 3xx is a failed status).
          if (xhr.responseURL && xhr.responseURL !== new URL(req.url, location.href).href) {
            return resolve({ status: 310, header: () => null, body: `redirected to ${xhr.responseURL}: refused` });
          }
          if (xhr.status >= 200 && xhr.status < 300) req.onProgress?.(sizeOf(req.body));
          resolve({ status: xhr.status, header: (n) => xhr.getResponseHeader(n), body: xhr.responseText });
        };
        xhr.onerror = xhr.ontimeout = () => {
          done();
          resolve({ status: 0, header: () => null, body: '' });
        };
        xhr.onabort = () => {
          done();
          reject(abortedError());
        };
        xhr.send(body as XMLHttpRequestBodyInit);
      });
    },
  };
}

/** PUTs through `fetchImpl` (default: the global fetch), with redirects refused; progress only at the end. */
export function fetchTransport(fetchImpl: typeof fetch = (...a) => fetch(...a)): Transport {
  return {
    async put(req) {
      if (req.signal?.aborted) throw abortedError();
      const body = await sendable(req.body);
      let res: Response;
      try {
        // redirect: 'error': a signed PUT is never followed to another host with its body.
        res = await fetchImpl(req.url, { method: 'PUT', headers: req.headers, body: body as BodyInit, signal: req.signal ?? null, redirect: 'error' });
      } catch (e) {
        if (req.signal?.aborted) throw abortedError();
        return { status: 0, header: () => null, body: String((e as Error)?.message ?? e) };
      }
      const text = await res.text().catch(() => '');
      if (res.ok) req.onProgress?.(sizeOf(req.body));
      return { status: res.status, header: (n) => res.headers.get(n), body: text };
    },
  };
}

/** xhrTransport() where XMLHttpRequest exists (browsers), else fetchTransport(). */
export function defaultTransport(): Transport {
  return typeof XMLHttpRequest === 'function' ? xhrTransport() : fetchTransport();
}
