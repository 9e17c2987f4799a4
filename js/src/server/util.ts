// Small helpers for the Fetch-API server half. Web platform only (no Node built-ins), so the
// handler runs on Node, workerd, Deno and Bun alike.
import { Vs3Error } from '../errors.js';

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff', ...headers },
  });
}

/**
 * Characters a message must not carry raw (they may come from client input: a file name, a key):
 * C0/C1 controls, line/paragraph separators, bidi overrides and isolates, zero-width characters.
 */
// eslint-disable-next-line no-control-regex
const UNSAFE_TEXT = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
export const escapeText = (s: string) => s.replace(UNSAFE_TEXT, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
/** Does `s` hold any of those characters? */
export const hasUnsafeText = (s: string) => s.search(UNSAFE_TEXT) >= 0;

export function errorResponse(e: Vs3Error, headers: Record<string, string> = {}): Response {
  const body = e.toJSON();
  body.error.message = escapeText(body.error.message);
  return json(body, e.status, headers);
}

const enc = new TextEncoder();
export const utf8 = (s: string) => enc.encode(s);

export function b64urlEncode(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function b64urlDecode(s: string): Uint8Array<ArrayBuffer> | null {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) return null;
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '='.repeat((4 - (s.length % 4)) % 4));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

export function hexToBytes(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Lowercase hex of bytes. */
export function bytesToHex(bytes: Uint8Array | ArrayBuffer): string {
  let hex = '';
  for (const b of bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)) hex += b.toString(16).padStart(2, '0');
  return hex;
}

export function hexToBase64(hex: string): string {
  let s = '';
  for (const b of hexToBytes(hex)) s += String.fromCharCode(b);
  return btoa(s);
}

/** Hex of base64 (empty string for input that is not base64). */
export function base64ToHex(b64: string): string {
  let bin: string;
  try {
    bin = atob(b64);
  } catch {
    return '';
  }
  return bytesToHex(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
}

export interface StreamDigest {
  /** Hex SHA-256 of every byte read. */
  sha256: string;
  size: number;
  /** The first `keep` bytes (for content sniffing). */
  head: Uint8Array;
}

// The runtime's streaming SHA-256: node:crypto where there is one (Node >= 20.16, Bun, Deno, through
// process.getBuiltinModule, so nothing here is an import an edge bundler must resolve), workerd's
// crypto.DigestStream on Cloudflare Workers. WebCrypto's digest() takes only a whole buffer, which
// a read-back of a large object must never hold. (node:crypto also makes HMACs synchronous: Hmac.)
type Hasher = { update(c: Uint8Array): void | Promise<void>; digest(): Promise<string> };
interface NodeHash {
  update(c: Uint8Array | string): NodeHash;
  digest(enc: 'hex' | 'base64'): string;
}
interface NodeHmac {
  update(c: Uint8Array | string): NodeHmac;
  digest(): Uint8Array;
}
interface NodeCrypto {
  createHash(alg: string): NodeHash;
  createHmac(alg: string, key: Uint8Array): NodeHmac;
  timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean;
}
let nodeCryptoModule: NodeCrypto | null | undefined;
/** node:crypto where the runtime has it (Node >= 20.16, Bun, Deno), else null (edge runtimes). */
export function nodeCrypto(): NodeCrypto | null {
  if (nodeCryptoModule === undefined) {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
    try {
      const m = proc?.getBuiltinModule?.('node:crypto') as NodeCrypto | undefined;
      nodeCryptoModule = m && typeof m.createHash === 'function' && typeof m.createHmac === 'function' ? m : null;
    } catch {
      nodeCryptoModule = null;
    }
  }
  return nodeCryptoModule;
}
async function sha256Hasher(): Promise<Hasher | null> {
  const node = nodeCrypto();
  if (node) {
    const h = node.createHash('sha256');
    return { update: (c) => void h.update(c), digest: async () => h.digest('hex') };
  }
  const DigestStream = (crypto as unknown as { DigestStream?: new (alg: string) => WritableStream<Uint8Array> & { digest: Promise<ArrayBuffer> } })
    .DigestStream;
  if (typeof DigestStream === 'function') {
    const ds = new DigestStream('SHA-256');
    const w = ds.getWriter();
    return {
      // Awaited by the reader: the next chunk is read only once this one is hashed (memory: one chunk).
      update: (c) => w.write(c),
      digest: async () => {
        await w.close();
        return bytesToHex(await ds.digest);
      },
    };
  }
  return null;
}

/**
 * Reads a stream to its end, hashing it (SHA-256) and keeping its first `keep` bytes; memory stays
 * at one chunk plus `keep`. null when the runtime has no streaming SHA-256.
 */
export async function digestStream(body: ReadableStream<Uint8Array>, keep = 0): Promise<StreamDigest | null> {
  const hasher = await sha256Hasher();
  if (!hasher) {
    await body.cancel();
    return null;
  }
  const head = new Uint8Array(keep);
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (size < keep) head.set(value.subarray(0, keep - size), size);
    size += value.byteLength;
    await hasher.update(value);
  }
  return { sha256: await hasher.digest(), size, head: head.subarray(0, Math.min(size, keep)) };
}

/** The first `n` bytes of a stream (fewer if it is shorter); the rest is not read. */
export async function readHead(body: ReadableStream<Uint8Array>, n: number): Promise<Uint8Array> {
  const out = new Uint8Array(n);
  let got = 0;
  const reader = body.getReader();
  while (got < n) {
    const { done, value } = await reader.read();
    if (done) return out.subarray(0, got);
    const take = Math.min(value.byteLength, n - got);
    out.set(value.subarray(0, take), got);
    got += take;
  }
  await reader.cancel().catch(() => {});
  return out;
}

/** HMAC-SHA256 with WebCrypto; verification is constant-time (crypto.subtle.verify). */
// Where node:crypto exists its HMAC is used: synchronous, several times faster per token than a
// WebCrypto round trip (the presign path signs one token per request). Same bytes either way.
export class Hmac {
  private key: Promise<CryptoKey> | undefined;
  private readonly raw: Uint8Array;
  private readonly node = nodeCrypto();
  constructor(secret: string) {
    if (typeof secret !== 'string' || secret.length < 32) {
      throw new Error('vs3: secret must be a string of at least 32 characters');
    }
    this.raw = utf8(secret);
  }
  private cryptoKey(): Promise<CryptoKey> {
    return (this.key ??= crypto.subtle.importKey('raw', this.raw as Uint8Array<ArrayBuffer>, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']));
  }
  private mac(data: string): Uint8Array | null {
    return this.node ? this.node.createHmac('sha256', this.raw).update(data).digest() : null;
  }
  async sign(data: string): Promise<string> {
    const mac = this.mac(data) ?? new Uint8Array(await crypto.subtle.sign('HMAC', await this.cryptoKey(), utf8(data)));
    return b64urlEncode(mac);
  }
  async verify(data: string, signature: string): Promise<boolean> {
    const sig = b64urlDecode(signature);
    if (sig?.length !== 32) return false;
    const mac = this.mac(data);
    if (mac) return this.node!.timingSafeEqual(mac, sig);
    return crypto.subtle.verify('HMAC', await this.cryptoKey(), sig as Uint8Array<ArrayBuffer>, utf8(data));
  }
}

/**
 * Reads a body chunk by chunk into `onChunk`, stopping with `tooLong()` as soon as it passes
 * `maxBytes` (the rest is never read). Returns the byte count.
 */
export async function readCapped(
  body: ReadableStream<Uint8Array>,
  maxBytes: number,
  tooLong: () => Vs3Error,
  onChunk: (chunk: Uint8Array) => unknown,
): Promise<number> {
  let total = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return total;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw tooLong();
    }
    await onChunk(value);
  }
}

/** Reads a JSON object body with a byte cap. Bad input becomes a 4xx Vs3Error, never a 500. */
export async function readJsonObject(req: Request, maxBytes: number): Promise<Record<string, unknown>> {
  // application/json only: a text/plain or form POST is a "simple" request a page on any site can
  // send without a CORS preflight. Requiring JSON makes every cross-site call preflighted.
  const type = (req.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' && !/^application\/[\w.+-]+\+json$/.test(type)) {
    throw new Vs3Error('unsupported_media_type', 'request body must be application/json', 415);
  }
  const tooLarge = () => new Vs3Error('request_too_large', `request body exceeds ${maxBytes} bytes`, 413);
  const declared = req.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  let text = '';
  if (req.body && declared !== null && /^\d+$/.test(declared)) {
    // A declared length within the cap: read it whole (the HTTP layer stops at Content-Length).
    let buf: ArrayBuffer;
    try {
      buf = await req.arrayBuffer();
    } catch {
      throw new Vs3Error('invalid_json', 'request body could not be read', 400);
    }
    if (buf.byteLength > maxBytes) throw tooLarge();
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(buf);
    } catch {
      throw new Vs3Error('invalid_json', 'request body is not valid UTF-8 JSON', 400);
    }
  } else if (req.body) {
    const dec = new TextDecoder('utf-8', { fatal: true });
    try {
      await readCapped(req.body, maxBytes, tooLarge, (chunk) => {
        text += dec.decode(chunk, { stream: true });
      });
      text += dec.decode();
    } catch (e) {
      if (e instanceof Vs3Error) throw e;
      throw new Vs3Error('invalid_json', 'request body is not valid UTF-8 JSON', 400);
    }
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Vs3Error('invalid_json', 'request body is not valid JSON', 400);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Vs3Error('invalid_request', 'request body must be a JSON object', 400);
  }
  return parsed as Record<string, unknown>;
}

const UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

/** 1048576, "16MB", "1.5 GiB" -> bytes. */
export function parseSize(v: number | string): number {
  if (typeof v === 'number') {
    if (Number.isSafeInteger(v) && v >= 0) return v;
  } else {
    const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(v);
    const unit = UNITS[(m?.[2] || 'b').toLowerCase()];
    if (m && unit) return Math.floor(Number(m[1]) * unit);
  }
  throw new Error(`vs3: invalid size ${JSON.stringify(v)}`);
}

/** RFC 3986 encoding of each key segment, keeping '/'. */
export function encodeKey(key: string): string {
  return key
    .split('/')
    .map((s) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase()))
    .join('/');
}
