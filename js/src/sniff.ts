// Content sniffing: what a file's first bytes say it is (magic numbers), and whether that agrees with
// the type it was declared as. The server reads an upload's first bytes back at completion; nothing
// here trusts a name or a declared type. Pure functions, no I/O; runs on every runtime.

/** How many leading bytes sniffType looks at (enough for tar's "ustar" at 257 and an HTML/SVG prologue). */
export const SNIFF_BYTES = 1024;

const ascii = (b: Uint8Array, at: number, s: string) => {
  if (b.length < at + s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[at + i] !== s.charCodeAt(i)) return false;
  return true;
};
const bytes = (b: Uint8Array, at: number, sig: number[]) => b.length >= at + sig.length && sig.every((v, i) => b[at + i] === v);

/** ISO BMFF brands (the box at offset 4, "ftyp"), grouped by what they are. */
const FTYP: Record<string, string> = {
  avif: 'image/avif',
  avis: 'image/avif',
  heic: 'image/heic',
  heix: 'image/heic',
  hevc: 'image/heic',
  heim: 'image/heic',
  heis: 'image/heic',
  mif1: 'image/heif',
  msf1: 'image/heif',
  qt: 'video/quicktime',
  M4A: 'audio/mp4',
  M4B: 'audio/mp4',
  '3gp4': 'video/3gpp',
  '3gp5': 'video/3gpp',
  '3gp6': 'video/3gpp',
  '3g2a': 'video/3gpp2',
};

/**
 * The type the bytes are, from their signature: a MIME type, or null when they have none we know
 * (plain text, CSV, JSON, most documents). Markup that browsers run (HTML, SVG, XML) is recognised
 * after an optional BOM and leading whitespace, case-insensitively.
 */
export function sniffType(b: Uint8Array): string | null {
  if (bytes(b, 0, [0xff, 0xd8, 0xff])) return 'image/jpeg';
  if (bytes(b, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'image/png';
  if (ascii(b, 0, 'GIF87a') || ascii(b, 0, 'GIF89a')) return 'image/gif';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WEBP')) return 'image/webp';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'WAVE')) return 'audio/wav';
  if (ascii(b, 0, 'RIFF') && ascii(b, 8, 'AVI ')) return 'video/x-msvideo';
  if (ascii(b, 4, 'ftyp') && b.length >= 12) {
    const brand = String.fromCharCode(b[8]!, b[9]!, b[10]!, b[11]!).trim();
    return FTYP[brand] ?? 'video/mp4';
  }
  if (ascii(b, 0, 'BM') && b.length >= 14) return 'image/bmp';
  if (bytes(b, 0, [0x49, 0x49, 0x2a, 0x00]) || bytes(b, 0, [0x4d, 0x4d, 0x00, 0x2a])) return 'image/tiff';
  if (bytes(b, 0, [0x00, 0x00, 0x01, 0x00])) return 'image/x-icon';
  if (bytes(b, 0, [0xff, 0x0a]) || bytes(b, 0, [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20])) return 'image/jxl';
  if (ascii(b, 0, '%PDF-')) return 'application/pdf';
  if (bytes(b, 0, [0x50, 0x4b, 0x03, 0x04]) || bytes(b, 0, [0x50, 0x4b, 0x05, 0x06])) return 'application/zip';
  if (bytes(b, 0, [0x1f, 0x8b])) return 'application/gzip';
  if (bytes(b, 0, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c])) return 'application/x-7z-compressed';
  if (ascii(b, 0, 'Rar!')) return 'application/vnd.rar';
  if (ascii(b, 0, 'BZh')) return 'application/x-bzip2';
  if (bytes(b, 0, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00])) return 'application/x-xz';
  if (bytes(b, 0, [0x28, 0xb5, 0x2f, 0xfd])) return 'application/zstd';
  if (ascii(b, 257, 'ustar')) return 'application/x-tar';
  if (bytes(b, 0, [0x1a, 0x45, 0xdf, 0xa3])) return 'video/webm';
  if (ascii(b, 0, 'OggS')) return 'audio/ogg';
  if (ascii(b, 0, 'fLaC')) return 'audio/flac';
  if (ascii(b, 0, 'ID3') || (b.length >= 2 && b[0] === 0xff && (b[1]! & 0xe0) === 0xe0)) return 'audio/mpeg';
  if (bytes(b, 0, [0x00, 0x61, 0x73, 0x6d])) return 'application/wasm';
  // Executables: ELF, PE (MZ), Mach-O (32/64-bit, both byte orders, fat binaries).
  if (bytes(b, 0, [0x7f, 0x45, 0x4c, 0x46])) return 'application/x-elf';
  if (ascii(b, 0, 'MZ')) return 'application/vnd.microsoft.portable-executable';
  for (const m of [
    [0xfe, 0xed, 0xfa, 0xce],
    [0xfe, 0xed, 0xfa, 0xcf],
    [0xce, 0xfa, 0xed, 0xfe],
    [0xcf, 0xfa, 0xed, 0xfe],
    [0xca, 0xfe, 0xba, 0xbe],
  ]) {
    if (bytes(b, 0, m)) return 'application/x-mach-binary';
  }
  if (ascii(b, 0, '#!')) return 'text/x-shellscript';
  return sniffMarkup(b);
}

/**
 * HTML, SVG or XML by their opening (after BOM and whitespace, any case). Whatever opens with
 * markup - an element, a comment, a doctype, a processing instruction - is markup: a browser shown
 * it as XML runs scripts in the XHTML namespace whatever the root is called, so it is never taken
 * as plain text. SVG and HTML are told apart by the first element they hold.
 */
function sniffMarkup(b: Uint8Array): string | null {
  let i = 0;
  if (bytes(b, 0, [0xef, 0xbb, 0xbf])) i = 3;
  else if (bytes(b, 0, [0xfe, 0xff]) || bytes(b, 0, [0xff, 0xfe])) return sniffMarkup(utf16ToAscii(b));
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x09 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x0c)) i++;
  if (b[i] !== 0x3c /* < */) return null;
  const text = new TextDecoder('latin1').decode(b.subarray(i, Math.min(b.length, SNIFF_BYTES))).toLowerCase();
  if (!/^<[a-z!?]/.test(text)) return null; // "<3", "< 5": not markup
  // The first element (past <?xml ...?>, <!-- -->, <!doctype ...>), with any namespace prefix.
  const root = /<([a-z][\w.-]*:)?([a-z][\w.-]*)[\s>/]/.exec(text.replace(/<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<![^>]*>/g, ''))?.[2];
  if (root === 'svg' || /^<!doctype\s+svg/.test(text)) return 'image/svg+xml';
  const html = /^(html|head|body|script|iframe|title|style|meta|link|a|div|span|table|h[1-6]|br|p|b|i|img|form|input|font|object|embed)$/;
  if (/^<!doctype\s+html/.test(text) || (root !== undefined && html.test(root)) || /http:\/\/www\.w3\.org\/1999\/xhtml/.test(text)) {
    return text.startsWith('<?xml') ? 'application/xhtml+xml' : 'text/html';
  }
  return 'application/xml';
}

function utf16ToAscii(b: Uint8Array): Uint8Array {
  const le = b[0] === 0xff;
  const out = new Uint8Array(Math.max(0, (b.length - 2) >> 1));
  for (let i = 0; i < out.length; i++) out[i] = b[2 + 2 * i + (le ? 0 : 1)]!;
  return out;
}

/**
 * Types a browser runs as a page (scripts) when served inline from the storage's origin, and scripts.
 * Route wildcards ("image/*") never match these (routes.ts).
 */
export const ACTIVE_TYPES: ReadonlySet<string> = new Set([
  'text/html',
  'image/svg+xml',
  'application/xhtml+xml',
  'application/xml',
  'text/xml',
  'text/javascript',
  'application/javascript',
  'application/x-javascript',
  'text/x-shellscript',
  'application/x-sh',
]);
/** ACTIVE_TYPES, and every XML type (`*+xml`): a browser shown XML runs XHTML-namespaced scripts. */
export const isActiveType = (type: string) => ACTIVE_TYPES.has(type) || type.endsWith('+xml');
const EXECUTABLES = new Set(['application/x-elf', 'application/vnd.microsoft.portable-executable', 'application/x-mach-binary', 'application/wasm']);

/** Declared types and the sniffed types that count as "the same thing". */
const SAME: Record<string, string[]> = {
  'image/jpg': ['image/jpeg'],
  'image/pjpeg': ['image/jpeg'],
  'image/x-png': ['image/png'],
  'image/heif': ['image/heic', 'image/heif'],
  'image/heic': ['image/heic', 'image/heif'],
  'image/vnd.microsoft.icon': ['image/x-icon'],
  'image/apng': ['image/png'],
  'image/x-ms-bmp': ['image/bmp'],
  'video/x-m4v': ['video/mp4'],
  'audio/x-m4a': ['audio/mp4', 'video/mp4'],
  'application/x-msdos-program': ['application/vnd.microsoft.portable-executable'],
  'audio/mp3': ['audio/mpeg'],
  'audio/x-wav': ['audio/wav'],
  'audio/wave': ['audio/wav'],
  'audio/vnd.wave': ['audio/wav'],
  'audio/x-flac': ['audio/flac'],
  'video/ogg': ['audio/ogg'],
  'application/ogg': ['audio/ogg'],
  'audio/webm': ['video/webm'],
  'video/x-matroska': ['video/webm'],
  'audio/mp4': ['audio/mp4', 'video/mp4'],
  'video/quicktime': ['video/quicktime', 'video/mp4'],
  'video/mp4': ['video/mp4', 'video/quicktime', 'audio/mp4'],
  'application/x-zip-compressed': ['application/zip'],
  'application/x-gzip': ['application/gzip'],
  'application/x-rar-compressed': ['application/vnd.rar'],
  'application/x-msdownload': ['application/vnd.microsoft.portable-executable'],
  'application/x-executable': ['application/x-elf'],
  'application/x-sharedlib': ['application/x-elf'],
  'application/xml': ['application/xml', 'image/svg+xml', 'application/xhtml+xml'],
  'text/xml': ['application/xml', 'image/svg+xml', 'application/xhtml+xml'],
};
/** Zip containers: office documents, EPUB, JARs, APKs... */
const ZIP_BASED =
  /^application\/(vnd\.openxmlformats-officedocument\..+|vnd\.oasis\.opendocument\..+|epub\+zip|java-archive|vnd\.android\.package-archive|x-zip|vnd\.apple\.keynote|vnd\.apple\.pages|vnd\.apple\.numbers)$/;

/** Every type sniffType can name: a declared type in this set must have its signature. */
const SIGNED_TYPES = new Set([
  'image/jpeg',
  'image/png',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/heif',
  'image/bmp',
  'image/tiff',
  'image/x-icon',
  'image/jxl',
  'application/pdf',
  'application/zip',
  'application/gzip',
  'application/x-7z-compressed',
  'application/vnd.rar',
  'application/x-bzip2',
  'application/x-xz',
  'application/zstd',
  'application/x-tar',
  'video/webm',
  'audio/ogg',
  'audio/flac',
  'audio/mpeg',
  'audio/wav',
  'video/x-msvideo',
  'video/mp4',
  'video/quicktime',
  'audio/mp4',
  'video/3gpp',
  'video/3gpp2',
  'application/wasm',
]);

export interface ContentCheck {
  ok: boolean;
  /** What the bytes are (null: no signature we know). */
  detected: string | null;
  /** Why not, for the error message. */
  reason?: string;
}

/**
 * Whether bytes starting with `head` may be stored as `declared`:
 * - a declared type with a known signature (images, PDF, archives, audio, video) needs that signature;
 * - `application/octet-stream` (what browsers send for unknown files) takes anything but is never
 *   served as anything else;
 * - any other declared type (text/plain, text/csv, application/json, ...) takes bytes that sniff as
 *   nothing, but never HTML, SVG, XML or an executable, unless that is exactly what was declared.
 */
export function checkContent(declared: string, head: Uint8Array): ContentCheck {
  const detected = sniffType(head);
  const type = declared.toLowerCase().split(';')[0]!.trim();
  const same = (Object.hasOwn(SAME, type) ? SAME[type] : undefined) ?? (ZIP_BASED.test(type) ? ['application/zip'] : [type]);
  if (detected !== null && same.includes(detected)) return { ok: true, detected };
  if (same.some((t) => SIGNED_TYPES.has(t))) {
    return { ok: false, detected, reason: `declared ${type} but the bytes are ${detected ?? 'not that type'}` };
  }
  if (type === 'application/octet-stream') return { ok: true, detected };
  if (detected !== null && (isActiveType(detected) || EXECUTABLES.has(detected))) {
    return { ok: false, detected, reason: `declared ${type} but the bytes are ${detected}` };
  }
  return { ok: true, detected };
}
