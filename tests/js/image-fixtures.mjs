// Test images made here, byte by byte, so every test knows exactly what it feeds the pipeline: PNGs
// (node:zlib for the deflate stream), EXIF blocks with a chosen orientation and GPS data, and the
// splicing of an EXIF APP1 segment into a JPEG. Also a reader of the metadata an output carries.
import { crc32, deflateSync } from 'node:zlib';

const u32 = (n) => Buffer.from([(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);

function chunk(type, data) {
  const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  return Buffer.concat([u32(data.length), td, u32(crc32(td) >>> 0)]);
}

/**
 * A PNG of width × height from pixel(x, y) -> [r, g, b, a] (0..255). colour: 'rgba' | 'rgb' | 'gray'.
 * depth 8 or 16. extra: more chunks before IDAT, as [type, Buffer]. idat: replace the pixel data (bombs).
 */
export function png(width, height, pixel, { colour = 'rgba', depth = 8, extra = [], idat } = {}) {
  const ch = { rgba: 4, rgb: 3, gray: 1 }[colour];
  const type = { rgba: 6, rgb: 2, gray: 0 }[colour];
  const bps = depth / 8;
  const ihdr = Buffer.concat([u32(width), u32(height), Buffer.from([depth, type, 0, 0, 0])]);
  let data = idat;
  if (!data) {
    const row = 1 + width * ch * bps;
    const raw = Buffer.alloc(row * height);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = pixel(x, y);
        const v = colour === 'gray' ? [p[0]] : p.slice(0, ch);
        for (let c = 0; c < ch; c++) {
          const at = y * row + 1 + (x * ch + c) * bps;
          if (depth === 16) raw.writeUInt16BE(v[c] * 257, at);
          else raw[at] = v[c];
        }
      }
    }
    data = deflateSync(raw);
  }
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([sig, chunk('IHDR', ihdr), ...extra.map(([t, d]) => chunk(t, d)), chunk('IDAT', data), chunk('IEND', Buffer.alloc(0))]);
}

/** A palette PNG (colour type 3) with a tRNS chunk: index(x, y) picks one of `palette` ([r,g,b,a]). */
export function palettePng(width, height, palette, index) {
  const raw = Buffer.alloc((1 + width) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) raw[y * (1 + width) + 1 + x] = index(x, y);
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const ihdr = Buffer.concat([u32(width), u32(height), Buffer.from([8, 3, 0, 0, 0])]);
  const plte = Buffer.from(palette.flatMap((p) => p.slice(0, 3)));
  const trns = Buffer.from(palette.map((p) => p[3] ?? 255));
  return Buffer.concat([sig, chunk('IHDR', ihdr), chunk('PLTE', plte), chunk('tRNS', trns), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/**
 * A TIFF-structured EXIF block (big-endian, "MM"): IFD0 with Orientation and, with gps, a GPS IFD
 * holding a latitude reference and a latitude — what a phone writes and what must never leave.
 */
export function exif(orientation, { gps = true } = {}) {
  const entries = [[0x0112, 3, 1, orientation << 16]];
  if (gps) entries.push([0x8825, 4, 1, 0]); // GPS IFD offset, patched below
  const ifd0At = 8;
  const ifd0Len = 2 + entries.length * 12 + 4;
  const gpsAt = ifd0At + ifd0Len;
  const gpsEntries = [
    [0x0001, 2, 2, 0x4e000000], // GPSLatitudeRef "N"
    [0x0002, 5, 3, 0], // GPSLatitude: 3 rationals, offset patched below
  ];
  const gpsLen = 2 + gpsEntries.length * 12 + 4;
  const ratAt = gpsAt + gpsLen;
  if (gps) entries[1][3] = gpsAt;
  gpsEntries[1][3] = ratAt;
  const parts = [Buffer.from('MM\0*'), u32(ifd0At)];
  const ifd = (list) => {
    const b = Buffer.alloc(2 + list.length * 12 + 4);
    b.writeUInt16BE(list.length, 0);
    list.forEach(([tag, type, count, value], i) => {
      b.writeUInt16BE(tag, 2 + i * 12);
      b.writeUInt16BE(type, 4 + i * 12);
      b.writeUInt32BE(count, 6 + i * 12);
      b.writeUInt32BE(value >>> 0, 10 + i * 12);
    });
    return b;
  };
  parts.push(ifd(entries));
  if (gps) {
    parts.push(ifd(gpsEntries));
    const rats = Buffer.alloc(24);
    for (const [i, v] of [48, 1, 51, 1, 30, 1].entries()) rats.writeUInt32BE(v, i * 4); // 48° 51' 30"
    parts.push(rats);
  }
  return Buffer.concat(parts);
}

/** The JPEG with an APP1 "Exif" segment holding `tiff` inserted right after SOI. */
export function withExif(jpeg, tiff) {
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const seg = Buffer.concat([Buffer.from([0xff, 0xe1, (body.length + 2) >> 8, (body.length + 2) & 255]), body]);
  return Buffer.concat([jpeg.subarray(0, 2), seg, jpeg.subarray(2)]);
}

/** The JPEG with an APP2 ICC_PROFILE segment (one chunk) holding `icc`. */
export function withIcc(jpeg, icc) {
  const body = Buffer.concat([Buffer.from('ICC_PROFILE\0', 'latin1'), Buffer.from([1, 1]), icc]);
  const seg = Buffer.concat([Buffer.from([0xff, 0xe2, (body.length + 2) >> 8, (body.length + 2) & 255]), body]);
  return Buffer.concat([jpeg.subarray(0, 2), seg, jpeg.subarray(2)]);
}

/** What metadata an encoded image carries: JPEG APPn/COM markers, or WebP RIFF chunk names. */
export function metadataOf(bytes) {
  const b = Buffer.from(bytes);
  if (b[0] === 0xff && b[1] === 0xd8) {
    const found = [];
    let i = 2;
    while (i + 4 <= b.length && b[i] === 0xff) {
      const m = b[i + 1];
      if (m === 0xda) break; // start of scan: no more metadata markers before it
      const len = b.readUInt16BE(i + 2);
      if (m === 0xe1 && b.toString('latin1', i + 4, i + 8) === 'Exif') found.push('EXIF');
      else if (m === 0xe1) found.push('XMP');
      else if (m === 0xe2 && b.toString('latin1', i + 4, i + 15) === 'ICC_PROFILE') found.push('ICCP');
      else if (m === 0xfe) found.push('COM');
      i += 2 + len;
    }
    return found;
  }
  if (b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP') {
    const found = [];
    for (let i = 12; i + 8 <= b.length; ) {
      const id = b.toString('latin1', i, i + 4).trim();
      const len = b.readUInt32LE(i + 4);
      if (id !== 'VP8' && id !== 'VP8L' && id !== 'VP8X' && id !== 'ALPH') found.push(id);
      i += 8 + len + (len & 1);
    }
    return found;
  }
  throw new Error('not a JPEG or WebP');
}

/** Width and height from a WebP's or JPEG's header (JPEG: the SOFn marker). */
export function dimensionsOf(bytes) {
  const b = Buffer.from(bytes);
  if (b[0] === 0xff && b[1] === 0xd8) {
    for (let i = 2; i + 9 < b.length; ) {
      const m = b[i + 1];
      const len = b.readUInt16BE(i + 2);
      if (m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc) return { width: b.readUInt16BE(i + 7), height: b.readUInt16BE(i + 5) };
      i += 2 + len;
    }
  }
  if (b.toString('latin1', 12, 16) === 'VP8X') return { width: 1 + b.readUIntLE(24, 3), height: 1 + b.readUIntLE(27, 3) };
  if (b.toString('latin1', 12, 16) === 'VP8 ') return { width: b.readUInt16LE(26) & 0x3fff, height: b.readUInt16LE(28) & 0x3fff };
  if (b.toString('latin1', 12, 16) === 'VP8L') {
    const v = b.readUInt32LE(21);
    return { width: (v & 0x3fff) + 1, height: ((v >>> 14) & 0x3fff) + 1 };
  }
  throw new Error('unknown image');
}
