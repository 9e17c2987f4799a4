// How bytes reach storage. XHR in browsers (it reports upload progress; fetch does not),
// fetch elsewhere. A network failure is status 0, never a throw, so the retry policy sees it.
import { abortedError } from '../errors.js';

export interface PutRequest {
  url: string;
  headers: Record<string, string>;
  /** A part's bytes (already read and hashed) or a Blob. */
  body: Blob | Uint8Array;
  signal?: AbortSignal;
  onProgress?: (bytesSent: number) => void;
}

export interface PutResponse {
  /** 0: no response (network error, CORS refusal, timeout). */
  status: number;
  header(name: string): string | null;
  body: string;
}

export interface Transport {
  put(req: PutRequest): Promise<PutResponse>;
}

const sizeOf = (b: Blob | Uint8Array) => (b instanceof Uint8Array ? b.byteLength : b.size);

export function xhrTransport(): Transport {
  return {
    put(req) {
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
        xhr.send(req.body as XMLHttpRequestBodyInit);
      });
    },
  };
}

export function fetchTransport(fetchImpl: typeof fetch = (...a) => fetch(...a)): Transport {
  return {
    async put(req) {
      if (req.signal?.aborted) throw abortedError();
      let res: Response;
      try {
        // redirect: 'error': a signed PUT is never followed to another host with its body.
        res = await fetchImpl(req.url, { method: 'PUT', headers: req.headers, body: req.body as BodyInit, signal: req.signal, redirect: 'error' });
      } catch (e) {
        if (req.signal?.aborted) throw abortedError();
        return { status: 0, header: () => null, body: String((e as Error)?.message ?? e) };
      }
      const body = await res.text().catch(() => '');
      if (res.ok) req.onProgress?.(sizeOf(req.body));
      return { status: res.status, header: (n) => res.headers.get(n), body };
    },
  };
}

export function defaultTransport(): Transport {
  return typeof XMLHttpRequest === 'function' ? xhrTransport() : fetchTransport();
}
