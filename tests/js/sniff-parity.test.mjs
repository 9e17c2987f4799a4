// Parity of the two content sniffers: js/src/sniff.ts (the server's, and runtimes without the WASM
// core) and its C++ port in the core (wasm/src/sniff.cpp, exported as core.sniffType and
// core.checkContent, which the client runs before sending). Both run over a generated corpus -
// every signature, every truncation of each, markup with BOMs, whitespace, case, comments, doctypes
// and namespaces, UTF-16 either way, thousands of seeded random buffers with signatures planted at
// the offsets the table reads, and many declared types - and must give identical answers.
//   VS3_SNIFF_SEED=<n>   another seed (the seed is printed; a failure names the case)
import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { loadCoreNode } from 'vs3/node';

const REPO = path.resolve(import.meta.dirname, '../..');
const js = await import(pathToFileURL(path.join(REPO, 'js/dist/sniff.js')).href);
const core = await loadCoreNode();
const SEED = process.env.VS3_SNIFF_SEED ? Number(process.env.VS3_SNIFF_SEED) >>> 0 : 0x5a1ff;
console.log(`# sniff parity seed ${SEED} (VS3_SNIFF_SEED)`);

// mulberry32: small, seeded, good enough to pick cases.
function prng(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)], chance: (p) => next() < p };
}

const latin1 = (s) => Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff);
const bytes = (...parts) => {
  const arrays = parts.map((p) => (typeof p === 'string' ? latin1(p) : Uint8Array.from(p)));
  const out = new Uint8Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
};
const show = (b) => `${b.length} bytes: ${Buffer.from(b.subarray(0, 48)).toString('hex')}${b.length > 48 ? '...' : ''}`;

// Every signature of sniff.ts's table (and the ftyp brands), as the bytes that open such a file.
const SIGNATURES = [
  bytes([0xff, 0xd8, 0xff, 0xe0]),
  bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  bytes('GIF87a'),
  bytes('GIF89a'),
  bytes('RIFF\x24\0\0\0WEBPVP8 '),
  bytes('RIFF\x24\0\0\0WAVEfmt '),
  bytes('RIFF\x24\0\0\0AVI LIST'),
  ...[
    'avif',
    'avis',
    'heic',
    'heix',
    'hevc',
    'heim',
    'heis',
    'mif1',
    'msf1',
    'qt  ',
    'M4A ',
    'M4B ',
    '3gp4',
    '3gp5',
    '3gp6',
    '3g2a',
    'isom',
    'mp42',
    ' qt ',
    '\xa0M4A',
    '\t\t\t\t',
  ].map((brand) => bytes('\0\0\0\x20ftyp', brand, '\0\0\0\0')),
  bytes('BM\x36\0\0\0\0\0\0\0\x36\0\0\0'),
  bytes('II*\0'),
  bytes('MM\0*'),
  bytes([0, 0, 1, 0]),
  bytes([0xff, 0x0a]),
  bytes([0, 0, 0, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a]),
  bytes('%PDF-1.7'),
  bytes('PK\x03\x04'),
  bytes('PK\x05\x06'),
  bytes([0x1f, 0x8b, 0x08]),
  bytes([0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]),
  bytes('Rar!\x1a\x07'),
  bytes('BZh9'),
  bytes([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]),
  bytes([0x28, 0xb5, 0x2f, 0xfd]),
  bytes('file.txt', new Uint8Array(249), 'ustar\x0000'),
  bytes([0x1a, 0x45, 0xdf, 0xa3]),
  bytes('OggS'),
  bytes('fLaC'),
  bytes('ID3\x04'),
  bytes([0xff, 0xfb, 0x90, 0x64]),
  bytes([0xff, 0xe0]),
  bytes([0xff, 0xf3]),
  bytes([0x00, 0x61, 0x73, 0x6d, 1, 0, 0, 0]),
  bytes([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]),
  bytes('MZ\x90\0'),
  bytes([0xfe, 0xed, 0xfa, 0xce]),
  bytes([0xfe, 0xed, 0xfa, 0xcf]),
  bytes([0xce, 0xfa, 0xed, 0xfe]),
  bytes([0xcf, 0xfa, 0xed, 0xfe]),
  bytes([0xca, 0xfe, 0xba, 0xbe]),
  bytes('#!/bin/sh\n'),
  bytes([0xef, 0xbb, 0xbf]),
  bytes([0xfe, 0xff]),
  bytes([0xff, 0xfe]),
];

// Markup: hand-written openings, then random ones assembled from the pieces the rules look at.
const MARKUP = [
  '<!DOCTYPE html><p>hi',
  '<!doctype HTML>',
  ' \t\r\n\f<HTML>',
  '\v<html>',
  '<svg xmlns="http://www.w3.org/2000/svg"/>',
  '<?xml version="1.0"?>\n<!-- x -->\n<SVG>',
  '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN">',
  '<!doctype\xa0svg>',
  '<!doctype\vhtml>',
  '<!doctypehtml>',
  '<svg:svg xmlns:svg="http://www.w3.org/2000/svg">',
  '<x:html>',
  '<a:b:svg>',
  '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml">',
  '<root xmlns:h="http://www.w3.org/1999/xhtml">',
  '<?xml version="1.0"?><note><to>x</to></note>',
  '<!-- <svg> --><div>',
  '<!-- unclosed <svg>',
  '<!-- unclosed <svg> <b>',
  '<?pi <svg> ?><h1 >',
  '<?pi <svg> <h1 >',
  '<IMG SRC=x onerror=alert(1)>',
  '<h7>',
  '<svg',
  '<svg\xa0',
  '<svg\x85',
  '<3 you',
  '< 5',
  '<1>',
  '<!>',
  '<?',
  '<',
  '<a',
  '<!-->',
  '<!--->',
  '<!---->',
  '<?>',
  '<??>',
  '<a.b-c_d1 >',
  '<\xc0VG>',
  'hello <html>',
  '{"json": true}',
  'a,b\n1,2\n',
];
const PIECES = [
  '<',
  '>',
  '/',
  ':',
  '!',
  '?',
  '-',
  '.',
  '_',
  ' ',
  '\t',
  '\n',
  '\r',
  '\f',
  '\v',
  '\xa0',
  '\x85',
  '\0',
  '1',
  'a',
  'x',
  'Z',
  '<!--',
  '-->',
  '<?',
  '?>',
  '<!',
  '<?xml version="1.0"?>',
  '<!doctype',
  '<!DOCTYPE',
  ' html',
  ' svg',
  'html',
  'svg',
  'SVG',
  '<svg',
  '<SVG ',
  '<html>',
  '<HTML',
  '<x:svg>',
  '<a:b:c>',
  '<div',
  '<h1>',
  '<h7>',
  '<p/>',
  '<b ',
  '<script>',
  '<iframe',
  '<embed/',
  'xmlns="http://www.w3.org/1999/xhtml"',
  'http://www.w3.org/1999/xhtm',
  'HTTP://WWW.W3.ORG/1999/XHTML',
  '<note>',
  '<svg:',
  '<:svg>',
  '<a-b.c_d>',
  '\xef\xbb\xbf',
  '\xfe\xff',
  '\xff\xfe',
];

function randomMarkup(r) {
  let s = '';
  if (r.chance(0.5)) s += r.pick([' ', '\t', '\n', '\r', '\f', '\v', '\xa0', '  \n\t']);
  const n = 1 + r.int(r.chance(0.1) ? 400 : 12);
  for (let i = 0; i < n; i++) s += r.chance(0.85) ? r.pick(PIECES) : String.fromCharCode(r.int(256));
  return s;
}

// UTF-16 with a BOM: the JS rule keeps the low byte of each code unit, so the high bytes are random.
function utf16(r, b, le) {
  const out = [le ? 0xff : 0xfe, le ? 0xfe : 0xff];
  for (const x of b) {
    const hi = r.chance(0.7) ? 0 : r.int(256);
    out.push(...(le ? [x, hi] : [hi, x]));
  }
  if (r.chance(0.3)) out.push(r.int(256)); // an odd length
  return Uint8Array.from(out);
}

function prefixBom(r, b) {
  const k = r.int(6);
  if (k === 0) return bytes([0xef, 0xbb, 0xbf], b);
  if (k === 1) return utf16(r, b, false);
  if (k === 2) return utf16(r, b, true);
  if (k === 3) return utf16(r, utf16(r, b, r.chance(0.5)), false); // a BOM inside the UTF-16
  return b;
}

function randomBytes(r, n) {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = r.int(256);
  return b;
}

// Random buffers with a signature (or a piece of one, or markup) planted where the table reads.
function randomBuffer(r) {
  const len = r.chance(0.05) ? 1024 + r.int(3200) : r.chance(0.3) ? r.int(16) : r.int(1100);
  const b = r.chance(0.3) ? latin1(randomMarkup(r).padEnd(len, r.pick([' ', 'a', '>', '\0']))).subarray(0, Math.max(len, 1)) : randomBytes(r, len);
  const plant = (sig, at) => {
    for (let i = 0; i < sig.length && at + i < b.length; i++) b[at + i] = sig[i];
  };
  const k = r.int(8);
  if (k <= 2) plant(r.pick(SIGNATURES), 0);
  if (k === 3) plant(latin1(r.pick(['ftyp', 'ftypheic', 'ftypqt  ', 'ftyp avi'])), 4);
  if (k === 4) {
    plant(latin1('RIFF'), 0);
    plant(latin1(r.pick(['WEBP', 'WAVE', 'AVI ', 'AVIX'])), 8);
  }
  if (k === 5) plant(latin1('ustar'), 257);
  if (k === 6) {
    const m = latin1(r.pick(MARKUP));
    plant(m, r.int(4));
  }
  if (r.chance(0.1) && b.length > 2) {
    const t = prefixBom(r, b);
    return r.chance(0.5) ? t : t.subarray(0, r.int(t.length + 1));
  }
  return b;
}

// Declared types: every type the tables name, aliases, zip containers, text types, and
// variations of case, parameters and whitespace (ASCII and Unicode), plus random strings.
const TYPES = [
  'image/jpeg',
  'image/jpg',
  'image/pjpeg',
  'image/png',
  'image/x-png',
  'image/apng',
  'image/gif',
  'image/webp',
  'image/avif',
  'image/heic',
  'image/heif',
  'image/bmp',
  'image/x-ms-bmp',
  'image/tiff',
  'image/x-icon',
  'image/vnd.microsoft.icon',
  'image/jxl',
  'image/svg+xml',
  'application/pdf',
  'application/zip',
  'application/x-zip-compressed',
  'application/gzip',
  'application/x-gzip',
  'application/x-7z-compressed',
  'application/vnd.rar',
  'application/x-rar-compressed',
  'application/x-bzip2',
  'application/x-xz',
  'application/zstd',
  'application/x-tar',
  'video/webm',
  'audio/webm',
  'video/x-matroska',
  'audio/ogg',
  'video/ogg',
  'application/ogg',
  'audio/flac',
  'audio/x-flac',
  'audio/mpeg',
  'audio/mp3',
  'audio/wav',
  'audio/x-wav',
  'audio/wave',
  'audio/vnd.wave',
  'video/x-msvideo',
  'video/mp4',
  'video/x-m4v',
  'video/quicktime',
  'audio/mp4',
  'audio/x-m4a',
  'video/3gpp',
  'video/3gpp2',
  'application/wasm',
  'application/x-elf',
  'application/x-executable',
  'application/x-sharedlib',
  'application/vnd.microsoft.portable-executable',
  'application/x-msdownload',
  'application/x-msdos-program',
  'application/x-mach-binary',
  'application/octet-stream',
  'text/plain',
  'text/csv',
  'application/json',
  'text/html',
  'application/xhtml+xml',
  'application/xml',
  'text/xml',
  'application/rss+xml',
  'text/javascript',
  'application/javascript',
  'text/x-shellscript',
  'application/x-sh',
  'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  'application/vnd.openxmlformats-officedocument.',
  'application/vnd.oasis.opendocument.text',
  'application/vnd.oasis.opendocument.',
  'application/vnd.oasis.opendocument.a\nb',
  'application/vnd.oasis.opendocument.a\u2028b',
  'application/vnd.oasis.opendocument.a\rb',
  'application/epub+zip',
  'application/java-archive',
  'application/vnd.android.package-archive',
  'application/x-zip',
  'application/vnd.apple.keynote',
  'application/vnd.apple.pages',
  'application/vnd.apple.numbers',
  'application/vnd.apple.\u212Aeynote',
  '',
  ' ',
  ';',
  'image',
  'image/',
  '/',
  'IMAGE/PNG',
  ' Image/JPG ; q=1',
  'text/plain; charset=utf-8',
  'image/png;',
  '\u00a0image/png\u3000',
  '\ufeffimage/png\u2029',
  '\u0085image/png',
  'image/png\u180e',
  'image/png x',
  'video/mp4 video/quicktime',
  '\u0130mage/png',
];
const WS = [
  ' ',
  '\t',
  '\n',
  '\v',
  '\f',
  '\r',
  '\u00a0',
  '\u1680',
  '\u2000',
  '\u200a',
  '\u2028',
  '\u2029',
  '\u202f',
  '\u205f',
  '\u3000',
  '\ufeff',
  '\u0085',
  '\u180e',
  '\u200b',
];
// Object.prototype members: SAME[type] in sniff.ts finds them (a function or an object) and throws;
// MIME types never take those names (the server refuses them before checkContent), so not compared.
const PROTO = new Set(Object.getOwnPropertyNames(Object.prototype));

function randomType(r) {
  let t = r.pick(TYPES);
  if (r.chance(0.3)) t = [...t].map((c) => (r.chance(0.3) ? c.toUpperCase() : c)).join('');
  if (r.chance(0.2)) t = r.pick(WS) + t;
  if (r.chance(0.2)) t += r.pick(WS);
  if (r.chance(0.1)) t += `;${r.pick(['charset=utf-8', '', ' x=y', 'IMAGE/PNG'])}`;
  if (r.chance(0.05))
    t = String.fromCharCode(...Array.from({ length: r.int(20) }, () => r.pick([0x2f, 0x61, 0x69, 0x20, 0x3b, 0x2b, 0xe9, 0x212a, 0x3000, r.int(0xd000)])));
  return PROTO.has(t.toLowerCase().split(';')[0].trim()) ? 'text/plain' : t;
}

// The core folds ASCII letters and U+212A (the one non-ASCII letter toLowerCase() makes ASCII):
// its reason quotes the type that way, so the reason is compared whenever that is toLowerCase().
const coreFold = (s) => s.replace(/[A-Z]/g, (c) => c.toLowerCase()).replace(/\u212a/g, 'k');

let compared = 0;
const seen = new Set(); // the types the corpus produced: it must reach every one the table names
function sameSniff(b, what) {
  const want = js.sniffType(b) ?? '';
  const got = core.sniffType(b);
  if (got !== want) assert.fail(`sniffType differs on ${what} (${show(b)}): sniff.ts ${JSON.stringify(want)}, core ${JSON.stringify(got)}`);
  seen.add(want);
  compared++;
}
let reasonsSkipped = 0;
function sameCheck(declared, b, what) {
  const want = js.checkContent(declared, b);
  const got = core.checkContent(declared, b);
  const ctx = () => `checkContent(${JSON.stringify(declared)}, ${what}: ${show(b)})`;
  assert.equal(got.ok, want.ok, `${ctx()}: ok`);
  assert.equal(got.sniffed, want.detected ?? '', `${ctx()}: sniffed`);
  if (coreFold(declared) === declared.toLowerCase()) assert.equal(got.reason, want.reason ?? '', `${ctx()}: reason`);
  else reasonsSkipped++;
  compared++;
}

test('every signature, and every truncation of each, sniff the same', () => {
  for (const sig of SIGNATURES) {
    for (let n = 0; n <= sig.length; n++) sameSniff(sig.subarray(0, n), `signature prefix ${n}`);
    sameSniff(bytes(sig, new Uint8Array(600)), 'signature + zeros');
    sameSniff(bytes(sig, '<html>'), 'signature + markup');
  }
  const tar = SIGNATURES.find((s) => s.length > 257);
  for (let n = 250; n <= tar.length; n++) sameSniff(tar.subarray(0, n), `tar prefix ${n}`);
});

test('markup: BOMs, whitespace, case, comments, doctypes, namespaces, UTF-16 and the 1 KiB window', () => {
  const r = prng(SEED ^ 0x3a7c);
  for (const m of MARKUP) {
    const b = latin1(m);
    sameSniff(b, `markup ${JSON.stringify(m)}`);
    for (let i = 0; i < 6; i++) sameSniff(prefixBom(r, b), `markup ${JSON.stringify(m)} with a BOM`);
    for (const pad of [0, 1000, 1017, 1018, 1019, 1020, 1021, 1024, 1030, 2100]) {
      sameSniff(bytes(' '.repeat(pad), b), `markup after ${pad} spaces`);
      sameSniff(bytes(`<x>${'a'.repeat(pad)}`, b), `markup after ${pad} bytes of text`);
    }
  }
  for (let i = 0; i < 6000; i++) {
    const b = latin1(randomMarkup(r));
    sameSniff(i % 3 === 0 ? prefixBom(r, b) : b, `random markup #${i}`);
  }
});

test('seeded random buffers with planted signatures sniff the same', () => {
  const r = prng(SEED);
  for (let i = 0; i < 12_000; i++) sameSniff(randomBuffer(r), `random buffer #${i}`);
  const named = [
    '',
    'text/html',
    'image/svg+xml',
    'application/xhtml+xml',
    'application/xml',
    'image/heic',
    'image/heif',
    'image/avif',
    'video/quicktime',
    'audio/mp4',
    'video/3gpp',
    'video/3gpp2',
  ];
  for (const t of [...named, ...SIGNATURES.map((s) => js.sniffType(s) ?? '')]) assert.ok(seen.has(t), `the corpus never produced ${JSON.stringify(t)}`);
});

test('checkContent: the same verdict, sniffed type and reason for every declared type', () => {
  const r = prng(SEED ^ 0xc0ffee);
  const heads = [...SIGNATURES, ...MARKUP.map(latin1), new Uint8Array(0), latin1('plain text'), latin1('{"a":1}')];
  for (const declared of TYPES) {
    for (const b of heads) sameCheck(declared, b, 'fixed head');
  }
  const verdicts = { true: 0, false: 0 };
  for (let i = 0; i < 15_000; i++) {
    const declared = randomType(r);
    const b = r.chance(0.5) ? r.pick(heads) : randomBuffer(r);
    sameCheck(declared, b, `random #${i}`);
    verdicts[js.checkContent(declared, b).ok]++;
  }
  assert.ok(verdicts.true > 1000 && verdicts.false > 1000, `one-sided corpus: ${JSON.stringify(verdicts)}`);
  console.log(`# ${compared} comparisons; ${reasonsSkipped} reasons not compared (non-ASCII capitals in the declared type)`);
});
