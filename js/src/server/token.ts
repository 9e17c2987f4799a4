// Stateless upload tokens: the server signs what it allowed at presign time, and trusts only that
// at completion. base64url(JSON claims) + "." + base64url(HMAC-SHA256). Expiry is checked unless the
// caller asks otherwise (/multipart/resume, which applies its own window to `iat`).
import { Vs3Error } from '../errors.js';
import { b64urlDecode, b64urlEncode, utf8, type Hmac } from './util.js';

export interface UploadClaims {
  v: 1;
  route: string;
  key: string;
  name: string;
  size: number;
  type: string;
  sha256?: string | undefined;
  metadata?: unknown;
  /** Present on multipart tokens only: the storage upload and the part size every part URL is signed for. */
  mp?: { uploadId: string; partSize: number };
  /** Expiry, unix milliseconds. */
  exp: number;
  /** Issued at, unix milliseconds. Absent on tokens signed before it existed. */
  iat?: number;
  /** Multipart: HMAC of the route's owner(auth) at create; /multipart/resume requires the same owner. */
  own?: string;
  /**
   * This upload's tag, recorded with the object it stores (signed into the URL): completion tells
   * "this upload's object" from another one under the same key, and deletes only its own.
   */
  uid?: string;
  /** A variant upload: its name (stored under another upload's key, RouteConfig.variants). */
  var?: string;
  /** A variant upload: the original's key. */
  varOf?: string;
}

export async function signToken(hmac: Hmac, claims: UploadClaims): Promise<string> {
  const body = b64urlEncode(utf8(JSON.stringify(claims)));
  return `${body}.${await hmac.sign('vs3-token.' + body)}`;
}

/** The claims of a token signed with this secret; `allowExpired` skips only the expiry check. */
export async function verifyToken(hmac: Hmac, token: unknown, now: number, opts: { allowExpired?: boolean } = {}): Promise<UploadClaims> {
  if (typeof token !== 'string' || token.length > 16384) throw new Vs3Error('invalid_token', 'token missing or malformed', 403);
  const dot = token.indexOf('.');
  const body = token.slice(0, dot);
  if (dot < 1 || !(await hmac.verify('vs3-token.' + body, token.slice(dot + 1)))) {
    throw new Vs3Error('invalid_token', 'token signature does not match', 403);
  }
  const bytes = b64urlDecode(body);
  let claims: UploadClaims;
  try {
    claims = JSON.parse(new TextDecoder().decode(bytes!)) as UploadClaims;
  } catch {
    throw new Vs3Error('invalid_token', 'token payload is malformed', 403);
  }
  if (claims.v !== 1) throw new Vs3Error('invalid_token', 'unsupported token version', 403);
  if (!opts.allowExpired && !(claims.exp > now)) throw new Vs3Error('token_expired', 'upload token has expired', 403);
  return claims;
}
