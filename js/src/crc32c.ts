// CRC32C (Castagnoli), the per-part checksum of multipart uploads: S3 verifies it from the signed
// x-amz-checksum-crc32c header, the local driver while streaming. Table-driven, Web APIs only.
// Shared: the server computes and checks it; the client converts it to and from S3's base64 form
// (the client's own CRC32C of file bytes comes from the WASM core).

const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** Continues a CRC32C over `data`: crc32c(b, crc32c(a)) === crc32c(a ++ b). Start with 0. */
export function crc32c(data: Uint8Array, crc = 0): number {
  let c = ~crc >>> 0;
  for (let i = 0; i < data.length; i++) c = TABLE[(c ^ data[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

/** The form S3 uses in x-amz-checksum-crc32c: base64 of the 4-byte big-endian value (8 chars). */
export function crc32cToBase64(crc: number): string {
  return btoa(String.fromCharCode((crc >>> 24) & 0xff, (crc >>> 16) & 0xff, (crc >>> 8) & 0xff, crc & 0xff));
}

/** The 32-bit value of a canonical base64 CRC32C, or null if `s` is not exactly that. */
export function crc32cFromBase64(s: unknown): number | null {
  if (typeof s !== 'string' || !/^[A-Za-z0-9+/]{6}==$/.test(s)) return null;
  const bin = atob(s);
  const v = ((bin.charCodeAt(0) << 24) | (bin.charCodeAt(1) << 16) | (bin.charCodeAt(2) << 8) | bin.charCodeAt(3)) >>> 0;
  // Non-canonical spellings (stray low bits in the last character) would sign a different header.
  return crc32cToBase64(v) === s ? v : null;
}
