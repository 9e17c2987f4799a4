// Generative fuzz test of the handler (in process, local driver on disk): a seeded PRNG mixes valid
// flows (presign -> PUT -> complete, multipart, dedupe, resume, abort) with mutations of them (wrong
// methods and content types, broken / huge / deep JSON, wrong field types, unicode and control
// characters, path traversal in names, keys and /local/ paths, tampered tokens and URL parameters,
// replays, bodies longer or shorter than signed, bogus request ids, OPTIONS, clock skew).
// Every answer must be < 500; every 4xx a JSON error whose code docs/errors.md lists; a tampered
// request must never succeed; nothing may be written outside the data directory; the valid flows
// must really succeed (floors per kind).
//   VS3_FUZZ_SEED=<n>        another seed (the seed is printed; a failure prints seed and request index)
//   VS3_FUZZ_REQUESTS=<n>    requests to send (default 22000)
//   VS3_FUZZ_BUDGET_MS=<ms>  stop generating after this long (default 40000)
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as v from 'valibot';
import { createHandler, crc32c, crc32cToBase64, defineRoute, localStorage } from 'vs3/server';
import { fsStore } from 'vs3/node';
import { SECRET } from './helpers.mjs';

const REPO = path.resolve(import.meta.dirname, '../..');
const SEED = process.env.VS3_FUZZ_SEED !== undefined && process.env.VS3_FUZZ_SEED !== '' ? Number(process.env.VS3_FUZZ_SEED) >>> 0 : 0x5eed2026;
const TARGET = Number(process.env.VS3_FUZZ_REQUESTS || 22_000);
const BUDGET_MS = Number(process.env.VS3_FUZZ_BUDGET_MS || 40_000);
const MIN_REQUESTS = Math.min(20_000, TARGET);
const BASE = 'http://vs3.test/api/vs3';
const PART = 5 * 1024 * 1024;
const MARK = 'vs3fz';

// ---- seeded randomness -------------------------------------------------------------------------

function mulberry32(a) {
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rnd = mulberry32(SEED);
const int = (n) => Math.floor(rnd() * n);
const chance = (p) => rnd() < p;
const pick = (a) => a[int(a.length)];
function weighted(entries) {
  const total = entries.reduce((s, [w]) => s + w, 0);
  let r = rnd() * total;
  for (const [w, x] of entries) if ((r -= w) < 0) return x;
  return entries[entries.length - 1][1];
}
function bytesOf(n, prefix = '') {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 4) {
    const x = (rnd() * 2 ** 32) >>> 0;
    b[i] = x;
    if (i + 1 < n) b[i + 1] = x >>> 8;
    if (i + 2 < n) b[i + 2] = x >>> 16;
    if (i + 3 < n) b[i + 3] = x >>> 24;
  }
  for (let i = 0; i < prefix.length && i < n; i++) b[i] = prefix.charCodeAt(i);
  return b;
}
const textOf = (n) => Uint8Array.from({ length: n }, () => 97 + int(26));
const sha256hex = (b) => createHash('sha256').update(b).digest('hex');
const crcOf = (b) => crc32cToBase64(crc32c(b));
const hex64 = () => Array.from({ length: 64 }, () => '0123456789abcdef'[int(16)]).join('');

const UNICODE = ['é', 'ß', '漢字', '😀', '\u0301', 'Ω', 'ﬁ', '\u00a0', 'İ', '\ud800', '\udfff', '\u{10ffff}', 'ｆｕｌｌ'];
const CONTROL = ['\u0000', '\u0001', '\t', '\n', '\r', '\u001f', '\u007f', '\u0085', '\u202e', '\u200b', '\u2028', '\ufeff', '\u2066'];
const PUNCT = ['/', '\\', '.', '..', '%', '%2e', '%2f', '%00', ' ', '"', "'", '<', '>', '?', '#', '&', '=', ':', '*', '|', '$', '{', '}', '~'];
function randStr(max = 24) {
  const n = chance(0.05) ? pick([255, 256, 300, 1025, 5000]) : int(max + 1);
  let s = '';
  while (s.length < n) {
    const r = rnd();
    if (r < 0.55) s += String.fromCharCode(97 + int(26));
    else if (r < 0.65) s += String.fromCharCode(48 + int(10));
    else if (r < 0.8) s += pick(PUNCT);
    else if (r < 0.92) s += pick(UNICODE);
    else s += pick(CONTROL);
  }
  return s;
}
function randValue(depth = 0) {
  return weighted([
    [3, () => pick([0, -1, 1, 3, 2 ** 53, 2 ** 53 + 2, -(2 ** 31), 1e308, -0, 0.5, 5 * 1024 ** 3 + 1, 1e21, PART, PART - 1])],
    [3, () => randStr()],
    [1, () => pick(['', '0', '12', '1e3', 'NaN', 'Infinity', '-1', 'true', 'null', 'a'.repeat(64), 'A'.repeat(64), hex64()])],
    [1, () => chance(0.5)],
    [1, () => null],
    [depth < 3 ? 1 : 0, () => Array.from({ length: int(4) }, () => randValue(depth + 1))],
    [
      depth < 3 ? 1 : 0,
      () =>
        Object.fromEntries(
          Array.from({ length: int(4) }, () => [pick(['a', 'name', 'size', '__proto__', 'constructor', 'toString', randStr(8)]), randValue(depth + 1)]),
        ),
    ],
  ])();
}
// Latin-1 only: header values must be ByteStrings.
function randHeaderValue() {
  const n = chance(0.1) ? pick([129, 200, 1000]) : int(40);
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(chance(0.85) ? 0x21 + int(94) : 0xa0 + int(96));
  return s;
}

// Names that are (or decode to, or pretend to be) paths, traversal, reserved or overlong segments.
const TRAVERSAL = [
  '..',
  '.',
  '...',
  '../..',
  `../../../../${MARK}-escape`,
  `../../../${MARK}-escape`,
  `..\\..\\${MARK}`,
  '%2e%2e',
  `%2e%2e%2f${MARK}`,
  `..%2f..%2f${MARK}`,
  '%252e%252e',
  `${MARK}\u0000.txt`,
  `/etc/${MARK}`,
  `//${MARK}`,
  `${MARK}/../../x`,
  '.vs3/dedupe/dd/x',
  '.vs3',
  'CON',
  'aux.txt',
  MARK.repeat(60),
  'é'.repeat(130),
  `\u202e${MARK}`,
  ' ',
  '.. ',
  `${MARK}/`,
  '/',
  `${MARK}//x`,
  `${MARK}/./x`,
  `${MARK}\\x`,
  'x'.repeat(256),
  `${'y'.repeat(250)}.json`,
  `${MARK}.json/x`,
  `.vs3/${MARK}`,
  `${MARK}%00`,
];
// Folder vocabulary for the keyed route: keys that collide with each other's files and .json metadata.
const FOLDER_VOCAB = [MARK, `${MARK}-a`, 'n.txt', 'n.txt.json', 'x.json', 'd', 'é', 'objects', 'meta', 'tmp', 'uploads', '.json'];
const NAME_VOCAB = ['n.txt', 'x.json', 'a.bin', 'n.txt.json', 'd', 'meta', 'é.txt'];

// A 1x1 PNG: image routes get real image bytes.
const PNG = Uint8Array.from(atob('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=='), (c) => c.charCodeAt(0));

// ---- the handler under test ---------------------------------------------------------------------

const Meta = v.object({ userId: v.pipe(v.string(), v.minLength(1)), tags: v.optional(v.array(v.string())) });
const Folder = v.object({ folder: v.string() });

function makeHandler(dataDir, state) {
  return createHandler({
    secret: SECRET,
    storage: localStorage({ store: fsStore(dataDir), secret: SECRET }),
    now: () => Date.now() + state.skew,
    cors: { origins: ['https://app.example'] },
    onError: (error, request, info) => state.reports.push({ error, url: request.url, requestId: info.requestId, index: state.index }),
    routes: {
      plain: defineRoute({ maxFileSize: '64KiB', onUploadComplete: ({ key }) => ({ stored: key }) }),
      meta: defineRoute({ maxFileSize: '64KiB', metadata: Meta }),
      keyed: defineRoute({ maxFileSize: '16MB', metadata: Folder, key: ({ metadata, safeName }) => `${metadata.folder}/${safeName}` }),
      images: defineRoute({ maxFileSize: '64KiB', allowedFileTypes: ['image/*'] }),
      dd: defineRoute({ maxFileSize: '16MB', dedupe: true }),
      nosum: defineRoute({ maxFileSize: '16MB', minFileSize: 1, requireChecksum: false }),
      big: defineRoute({ maxFileSize: '16MB' }),
      authed: defineRoute({ maxFileSize: '16MB', authorize: (req) => req.headers.get('x-user') || false, owner: (auth) => auth }),
      huge: defineRoute({ maxFileSize: '100TB', requireChecksum: false }),
    },
  });
}
const ROUTES = ['plain', 'meta', 'keyed', 'images', 'dd', 'nosum', 'big', 'authed', 'huge'];
const ENDPOINTS = [
  '/presign',
  '/complete',
  '/multipart/create',
  '/multipart/sign',
  '/multipart/complete',
  '/multipart/abort',
  '/multipart/resume',
  '/dedupe',
  '/routes',
];
const TOKEN_ENDPOINTS = ['/complete', '/multipart/sign', '/multipart/complete', '/multipart/abort', '/multipart/resume', '/dedupe'];

// ---- filesystem listings (escape detection) -----------------------------------------------------

async function walk(dir, skip = () => false, out = []) {
  let entries;
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return out;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (skip(p)) continue;
    out.push(p);
    if (e.isDirectory() && !e.isSymbolicLink()) await walk(p, skip, out);
  }
  return out;
}
const REPO_SKIP = (p) => ['.git', 'node_modules', 'build', 'js/dist', '.demo-data'].some((d) => p === path.join(REPO, d));
const listTmp = async () => new Set(await fs.readdir(os.tmpdir()));
const listRepo = async () => new Set(await walk(REPO, REPO_SKIP));
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test(`fuzz: the handler over seeded random and mutated requests (seed ${SEED})`, { timeout: 180_000 }, async () => {
  console.log(`[fuzz] seed=${SEED} (0x${SEED.toString(16)}; override with VS3_FUZZ_SEED), target ${TARGET} requests, budget ${BUDGET_MS} ms`);
  const docs = await fs.readFile(path.join(REPO, 'docs/errors.md'), 'utf8');
  const CODES = new Set([...docs.matchAll(/^\| `([a-z_]+)` \| ([^|]+) \|/gm)].map((m) => m[1]));
  assert.ok(CODES.size > 30, 'error codes parsed from docs/errors.md');

  const tmpBefore = await listTmp();
  const repoBefore = await listRepo();
  const root = await fs.mkdtemp(path.join(os.tmpdir(), 'vs3-fuzz-'));
  // The data directory sits three levels down: an escape of a few '..' lands inside root, where the
  // walk at the end sees it.
  const dataDir = path.join(root, 'sandbox', 'inner', 'data');
  await fs.mkdir(dataDir, { recursive: true });

  const state = { skew: 0, reports: [], index: 0 };
  const handler = makeHandler(dataDir, state);

  // Every name and key segment sent: an entry appearing outside root with one of these names is ours.
  const sentNames = new Set();
  const noteName = (s) => {
    if (typeof s !== 'string') return;
    for (const seg of s.split(/[\\/]/)) if (seg && seg !== '.' && seg !== '..') sentNames.add(seg.normalize('NFC'));
  };

  const failures = [];
  const flowFailures = [];
  // Objects whose completion answered 200: they must still be there at the end (nothing replaces or
  // deletes a completed upload). 'valid' ones have keys no other request can name.
  const tracked = [];
  const success = { single: 0, multipart: 0, dedupe: 0, dedupeMultipart: 0, resume: 0, abort: 0, download: 0, replay: 0, routes: 0 };
  const statusCount = new Map();
  const codeCount = new Map();
  const kindCount = new Map();
  let unsendable = 0;

  // ---- sending and checking ---------------------------------------------------------------------

  const describeBody = (b) => {
    if (b === undefined || b === null) return '(none)';
    if (typeof b === 'string') return `${JSON.stringify(b.length > 600 ? b.slice(0, 600) + '...' : b)} (${b.length} chars)`;
    if (b instanceof Uint8Array) return `<${b.length} bytes, sha256 ${sha256hex(b)}, starts ${Buffer.from(b.subarray(0, 16)).toString('hex')}>`;
    if (b.stream) return `<stream of ${b.chunks.length} chunks, ${b.chunks.reduce((s, c) => s + c.length, 0)} bytes${b.error ? ', then errors' : ''}>`;
    return String(b);
  };
  const describe = (d) => `${d.method} ${d.url}\n    headers: ${JSON.stringify(d.headers ?? {})}\n    body: ${describeBody(d.body)}`;
  function fail(i, d, kind, why, res) {
    const entry =
      `[fuzz] FAILURE seed=${SEED} index=${i} kind=${kind}: ${why}\n    ${describe(d)}` +
      (res ? `\n    -> ${res.status} ${res.text.slice(0, 500)}` : '') +
      `\n    rerun: VS3_FUZZ_SEED=${SEED} node --test tests/js/fuzz.test.mjs`;
    failures.push(entry);
    if (failures.length <= 25) console.log(entry);
  }
  function flowFail(kind, step, r, note = '') {
    const entry = `[fuzz] valid flow failed: ${kind} at ${step} (request ${state.index}): ${r ? `${r.status} ${r.text.slice(0, 300)}` : 'not sent'} ${note}`;
    flowFailures.push(entry);
    if (flowFailures.length <= 10) console.log(entry);
    return null;
  }

  function makeStream({ chunks, error }) {
    let i = 0;
    return new ReadableStream({
      pull(c) {
        if (i < chunks.length) c.enqueue(chunks[i++]);
        else if (error) c.error(new Error('fuzz: the request body stream broke'));
        else c.close();
      },
    });
  }

  const withTimeout = (p, ms) => {
    let timer;
    return Promise.race([
      p,
      new Promise((_, rej) => {
        timer = setTimeout(() => rej(new Error(`no answer within ${ms} ms (hang)`)), ms);
      }),
    ]).finally(() => clearTimeout(timer));
  };

  /**
   * Sends one request to the handler and checks the answer. opts.kind tags the generator,
   * opts.mustFail marks a request that would be a security bug if it succeeded.
   */
  async function send(d, opts = {}) {
    const kind = opts.kind ?? 'flow';
    const headers = { ...(d.headers ?? {}) };
    if (!opts.noNoise) {
      if (chance(0.08))
        headers['x-request-id'] = pick([
          'req-1',
          'a'.repeat(128),
          'a'.repeat(129),
          'has space',
          '../../etc',
          '<script>',
          'é',
          '',
          'id:1@x.y-z_',
          randHeaderValue(),
        ]);
      if (chance(0.05)) headers.origin = pick(['https://app.example', 'https://evil.example', 'null', 'https://app.example.evil.example', randHeaderValue()]);
    }
    d = { ...d, headers };
    const init = { method: d.method, headers };
    if (d.body !== undefined && d.body !== null && d.method !== 'GET' && d.method !== 'HEAD') {
      if (d.body.stream) {
        init.body = makeStream(d.body);
        init.duplex = 'half';
      } else init.body = d.body;
    }
    let req;
    try {
      req = new Request(d.url, init);
    } catch {
      unsendable++; // not expressible as a Request (a bad header value, a forbidden method): not the handler's business
      return null;
    }
    const i = ++state.index;
    kindCount.set(kind, (kindCount.get(kind) ?? 0) + 1);
    let res;
    let buf;
    try {
      res = await withTimeout(handler(req), 20_000);
      buf = Buffer.from(await withTimeout(res.arrayBuffer(), 20_000));
    } catch (e) {
      fail(i, d, kind, `the handler threw, hung or its answer's body failed: ${e?.stack ?? e}`);
      return null;
    }
    const r = { status: res.status, headers: res.headers, buf, text: buf.toString('utf8'), json: undefined };
    if ((res.headers.get('content-type') ?? '').includes('json')) {
      try {
        r.json = JSON.parse(r.text);
      } catch {
        // checked below for errors
      }
    }
    statusCount.set(r.status, (statusCount.get(r.status) ?? 0) + 1);
    if (r.status >= 500) fail(i, d, kind, `answered ${r.status}`, r);
    else if (r.status >= 400) {
      const code = r.json?.error?.code;
      codeCount.set(`${r.status} ${code}`, (codeCount.get(`${r.status} ${code}`) ?? 0) + 1);
      if (typeof code !== 'string' || !CODES.has(code)) fail(i, d, kind, `a ${r.status} without a JSON error whose code docs/errors.md lists`, r);
      else if (
        typeof r.json.error.message !== 'string' ||
        /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/.test(r.json.error.message)
      ) {
        fail(i, d, kind, 'error message missing or carrying raw control/bidi characters', r);
      }
      if (r.status === 405 && !res.headers.get('allow')) fail(i, d, kind, '405 without Allow', r);
    }
    if (r.status < 400 && opts.mustFail) fail(i, d, kind, `a tampered request succeeded (${opts.mustFail})`, r);
    const rid = res.headers.get('x-request-id');
    const given = headers['x-request-id'];
    const sane = typeof given === 'string' && /^[\w.:@-]{1,128}$/.test(given);
    if (!rid || (sane ? rid !== given : !UUID_RE.test(rid)))
      fail(i, d, kind, `x-request-id ${JSON.stringify(rid)} for a request that sent ${JSON.stringify(given)}`, r);
    const acao = res.headers.get('access-control-allow-origin');
    if (acao && acao !== 'https://app.example') fail(i, d, kind, `CORS allowed ${acao}`, r);
    if (acao && headers.origin !== 'https://app.example') fail(i, d, kind, `CORS allow-origin for origin ${JSON.stringify(headers.origin)}`, r);
    return r;
  }

  const post = (p, body, opts = {}) =>
    send(
      {
        method: 'POST',
        url: BASE + p,
        headers: { 'content-type': 'application/json', ...(opts.headers ?? {}) },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      },
      opts,
    );
  const putTo = (u, bytes, opts = {}) =>
    send(
      {
        method: u.method ?? 'PUT',
        url: u.url,
        headers: { ...(u.headers ?? {}), 'content-length': String(bytes.length), ...(opts.headers ?? {}) },
        body: bytes,
      },
      opts,
    );

  // ---- pools of real artifacts for the mutations to work on ---------------------------------------

  const pool = { presignBodies: [], singles: [], mps: [], parts: [], downloads: [], completed: [], ddSingles: [], ddMultis: [] };
  const keep = (arr, x, max = 64) => {
    arr.push(x);
    if (arr.length > max) arr.splice(int(arr.length), 1);
  };

  // The multipart part 1 every multipart flow shares (5 MiB), its CRC32C and a hash state to continue.
  const BIG = bytesOf(PART, 'VS3F');
  const BIG_CRC = crcOf(BIG);
  const BIG_HASH = createHash('sha256').update(BIG);

  let uniq = 0;
  function makeFile(route, { unique = true } = {}) {
    const n = ++uniq;
    if (route === 'images') {
      const ext = pick(['png', 'PNG']);
      return { name: `${MARK}-${n}.${ext}`, type: pick(['image/png', '', 'IMAGE/PNG ']), bytes: PNG, sha256: sha256hex(PNG) };
    }
    const size = chance(0.05) ? 60_000 + int(5000) : route === 'nosum' ? 1 + int(2048) : int(2049);
    const text = chance(0.5);
    const bytes = text ? textOf(size) : bytesOf(size, 'VS3F');
    const stem = chance(0.15) ? pick(['résumé 漢字 😀', 'a b  c', 'x'.repeat(200), "it's (1)", 'ÅngströM', '..hidden', 'no-ext']) : `${MARK}-${n}`;
    const name = text ? `${stem}.txt` : stem === 'no-ext' ? stem : `${stem}.bin`;
    const type = text
      ? pick(['text/plain', '', 'Text/Plain'])
      : stem === 'no-ext'
        ? pick(['', 'application/octet-stream'])
        : pick(['application/octet-stream', '']);
    return { name, type, bytes, sha256: sha256hex(bytes), unique };
  }
  function presignBody(route, f, { withSha = undefined } = {}) {
    const sha = withSha ?? (['nosum', 'huge'].includes(route) ? chance(0.5) : true);
    const body = {
      route,
      file: { name: f.name, size: f.bytes.length, type: f.type, ...(sha ? { sha256: chance(0.1) ? f.sha256.toUpperCase() : f.sha256 } : {}) },
    };
    if (route === 'meta') body.metadata = { userId: `u${int(100)}`, ...(chance(0.5) ? { tags: ['a', 'é', ''] } : {}) };
    if (route === 'keyed') body.metadata = { folder: `${MARK}-k${++uniq}/${pick(['x', 'é', 'deep/er'])}` };
    noteName(f.name);
    if (body.metadata?.folder) noteName(body.metadata.folder);
    return body;
  }
  const userOf = (route) => (route === 'authed' ? { 'x-user': `user${int(3)}` } : {});

  // ---- valid flows --------------------------------------------------------------------------------

  async function singleFlow(route = pick(['plain', 'meta', 'keyed', 'images', 'dd', 'nosum', 'big', 'authed', 'huge'])) {
    const f = makeFile(route);
    const headers = userOf(route);
    const body = presignBody(route, f);
    const p = await post('/presign', body, { headers, noNoise: true });
    if (p?.status === 200 && route === 'dd' && p.json?.existing?.file?.sha256 === f.sha256) return void success.dedupe++; // tiny files repeat
    if (p?.status !== 200 || !p.json?.upload) return flowFail(`single/${route}`, 'presign', p);
    keep(pool.presignBodies, body);
    const upload = p.json.upload;
    keep(pool.singles, { route, token: p.json.token, upload, bytes: f.bytes, sha256: body.file.sha256?.toLowerCase(), key: p.json.key });
    const put = await putTo(upload, f.bytes, { noNoise: true });
    if (put?.status !== 200) return flowFail(`single/${route}`, 'PUT', put);
    const c = await post('/complete', { token: p.json.token }, { headers, noNoise: true });
    if (c?.status !== 200 || c.json?.file?.key !== p.json.key || c.json.file.size !== f.bytes.length) return flowFail(`single/${route}`, 'complete', c);
    success.single++;
    tracked.push({ kind: 'valid', key: p.json.key, url: c.json.file.url, index: state.index });
    const done = { route, token: p.json.token, key: p.json.key, url: c.json.file.url, bytes: f.bytes, answer: c.json, headers };
    keep(pool.completed, done);
    keep(pool.downloads, { url: c.json.file.url, bytes: f.bytes });
    if (route === 'dd') keep(pool.ddSingles, { f, key: p.json.key });
    if (chance(0.25)) {
      const g = await send({ method: chance(0.8) ? 'GET' : 'HEAD', url: c.json.file.url }, { noNoise: true });
      if (g?.status !== 200) return flowFail(`single/${route}`, 'download', g);
      if (g.buf.length && !g.buf.equals(Buffer.from(f.bytes))) return flowFail(`single/${route}`, 'download', g, 'bytes differ');
      success.download++;
    }
    if (chance(0.15)) {
      const again = await post('/complete', { token: p.json.token }, { headers, noNoise: true });
      if (again?.status !== 200 || again.json?.file?.key !== p.json.key || JSON.stringify(again.json.result) !== JSON.stringify(c.json.result)) {
        return flowFail(`single/${route}`, 'replayed complete', again);
      }
      success.replay++;
    }
    return done;
  }

  /** create -> sign -> PUT parts -> complete (the 5 MiB flows: a few dozen per run). */
  let multipartBudget = 40;
  async function multipartFlow(route = pick(['big', 'dd', 'nosum', 'authed', 'keyed'])) {
    if (multipartBudget-- <= 0) return singleFlow();
    const tail = bytesOf(1 + int(100_000));
    const size = PART + tail.length;
    const sha = BIG_HASH.copy().update(tail).digest('hex');
    const headers = userOf(route);
    const file = { name: `${MARK}-mp${++uniq}.bin`, size, type: 'application/octet-stream', ...(chance(0.5) ? { sha256: sha } : {}) };
    const body = { route, file, partSize: PART, ...(route === 'keyed' ? { metadata: { folder: `${MARK}-m${uniq}` } } : {}) };
    const c = await post('/multipart/create', body, { headers, noNoise: true });
    if (c?.status !== 200 || c.json?.partCount !== 2) return flowFail(`multipart/${route}`, 'create', c);
    const mp = { route, token: c.json.token, headers, size, sha, tail, key: c.json.key };
    keep(pool.mps, mp);
    const s = await post(
      '/multipart/sign',
      {
        token: mp.token,
        parts: [
          { partNumber: 1, crc32c: BIG_CRC },
          { partNumber: 2, crc32c: crcOf(tail) },
        ],
      },
      { noNoise: true },
    );
    if (s?.status !== 200 || s.json?.parts?.length !== 2) return flowFail(`multipart/${route}`, 'sign', s);
    const [u1, u2] = s.json.parts;
    keep(pool.parts, { url: u2.url, bytes: tail, mp });
    if (chance(0.2)) keep(pool.parts, { url: u1.url, bytes: BIG, mp });
    for (const [u, b] of chance(0.5)
      ? [
          [u1, BIG],
          [u2, tail],
        ]
      : [
          [u2, tail],
          [u1, BIG],
        ]) {
      const r = await putTo(u, b, { noNoise: true });
      if (r?.status !== 200) return flowFail(`multipart/${route}`, 'PUT part', r);
    }
    const done = await post('/multipart/complete', { token: mp.token, sha256: sha, firstPartCrc32c: BIG_CRC }, { headers, noNoise: true });
    if (done?.status !== 200 || done.json?.file?.size !== size || done.json.file.sha256 !== sha) return flowFail(`multipart/${route}`, 'complete', done);
    success.multipart++;
    tracked.push({ kind: 'valid multipart', key: c.json.key, url: done.json.file.url, index: state.index });
    mp.completed = true;
    keep(pool.completed, { route, token: mp.token, key: c.json.key, url: done.json.file.url, answer: done.json, headers, mp: true, sha });
    if (route === 'dd') keep(pool.ddMultis, { size, sha, tail, key: c.json.key });
    if (chance(0.2)) {
      const g = await send({ method: 'GET', url: done.json.file.url }, { noNoise: true });
      if (g?.status !== 200 || sha256hex(g.buf) !== sha) return flowFail(`multipart/${route}`, 'download', g);
      success.download++;
    }
    return mp;
  }

  async function dedupeFlow() {
    if (!pool.ddSingles.length) return singleFlow('dd');
    const { f, key } = pick(pool.ddSingles);
    const p = await post('/presign', presignBody('dd', { ...f, name: `${MARK}-again${++uniq}${/\.[a-z]+$/i.exec(f.name)?.[0] ?? ''}` }, { withSha: true }), {
      noNoise: true,
    });
    if (p?.status !== 200 || p.json?.existing?.file?.key !== key || p.json.existing.file.deduplicated !== true) return flowFail('dedupe', 'presign', p);
    success.dedupe++;
  }

  async function dedupeMultipartFlow() {
    if (!pool.ddMultis.length) return multipartFlow('dd');
    const m = pick(pool.ddMultis);
    const c = await post(
      '/multipart/create',
      { route: 'dd', file: { name: `${MARK}-dup${++uniq}.bin`, size: m.size, type: 'application/octet-stream' }, partSize: PART },
      { noNoise: true },
    );
    if (c?.status !== 200) return flowFail('dedupe-multipart', 'create', c);
    const probe = await post('/dedupe', { token: c.json.token, probe: { crc32c: BIG_CRC } }, { noNoise: true });
    if (probe?.status !== 200 || probe.json?.candidate !== true) return flowFail('dedupe-multipart', 'probe', probe);
    const d = await post('/dedupe', { token: c.json.token, sha256: m.sha }, { noNoise: true });
    if (d?.status !== 200 || d.json?.existing?.file?.key !== m.key) return flowFail('dedupe-multipart', 'dedupe', d);
    // The upload was aborted on storage: resuming it finds nothing.
    const r = await post('/multipart/resume', { token: c.json.token }, { noNoise: true });
    if (r?.status !== 404) return flowFail('dedupe-multipart', 'resume after dedupe', r);
    success.dedupeMultipart++;
  }

  /** create -> PUT the small last part -> resume (lists it; maybe after the token expired) -> abort or finish. */
  async function resumeFlow() {
    const route = pick(['big', 'authed', 'nosum']);
    const headers = userOf(route);
    const tail = bytesOf(1 + int(4096));
    const size = PART + tail.length;
    const c = await post('/multipart/create', { route, file: { name: `${MARK}-r${++uniq}.bin`, size, type: '' }, partSize: PART }, { headers, noNoise: true });
    if (c?.status !== 200) return flowFail('resume', 'create', c);
    const mp = { route, token: c.json.token, headers, size, tail, sha: BIG_HASH.copy().update(tail).digest('hex'), key: c.json.key };
    keep(pool.mps, mp);
    const s = await post('/multipart/sign', { token: mp.token, parts: [{ partNumber: 2, crc32c: crcOf(tail) }] }, { noNoise: true });
    if (s?.status !== 200) return flowFail('resume', 'sign', s);
    keep(pool.parts, { url: s.json.parts[0].url, bytes: tail, mp });
    const put = await putTo(s.json.parts[0], tail, { noNoise: true });
    if (put?.status !== 200) return flowFail('resume', 'PUT part 2', put);
    let token = mp.token;
    if (chance(0.4)) state.skew = pick([25 * 3600_000, 3 * 86_400_000, 6.5 * 86_400_000]); // the token has expired; within the resume window
    try {
      const r = await post('/multipart/resume', { token }, { headers, noNoise: true });
      if (r?.status !== 200 || r.json?.parts?.length !== 1 || r.json.parts[0].partNumber !== 2 || r.json.parts[0].size !== tail.length)
        return flowFail('resume', 'resume', r, `skew ${state.skew}`);
      token = r.json.token;
    } finally {
      state.skew = 0;
    }
    if (route === 'authed') {
      const other = await post(
        '/multipart/resume',
        { token },
        { headers: { 'x-user': 'someone-else' }, noNoise: true, kind: 'owner', mustFail: 'resume by another owner' },
      );
      if (other?.status !== 403) return flowFail('resume', 'resume by another user', other);
    }
    if (chance(0.15) && multipartBudget-- > 0) {
      const s1 = await post('/multipart/sign', { token, parts: [{ partNumber: 1, crc32c: BIG_CRC }] }, { noNoise: true });
      if (s1?.status !== 200) return flowFail('resume', 'sign part 1', s1);
      const p1 = await putTo(s1.json.parts[0], BIG, { noNoise: true });
      if (p1?.status !== 200) return flowFail('resume', 'PUT part 1', p1);
      const done = await post('/multipart/complete', { token, sha256: mp.sha }, { headers, noNoise: true });
      if (done?.status !== 200 || done.json?.file?.sha256 !== mp.sha) return flowFail('resume', 'complete', done);
      mp.completed = true;
    } else {
      const a = await post('/multipart/abort', { token }, { noNoise: true });
      if (a?.status !== 200 || a.json?.aborted !== true) return flowFail('resume', 'abort', a);
      mp.aborted = true;
    }
    success.resume++;
  }

  /** create -> abort; then everything on the aborted upload fails cleanly. */
  async function abortFlow() {
    const route = pick(['big', 'nosum', 'huge', 'dd']);
    const tail = bytesOf(1 + int(1000));
    const size = PART + tail.length;
    const c = await post(
      '/multipart/create',
      {
        route,
        file: { name: `${MARK}-a${++uniq}.bin`, size, type: 'application/octet-stream', ...(route === 'huge' || route === 'nosum' ? {} : { sha256: hex64() }) },
        partSize: PART,
      },
      { noNoise: true },
    );
    if (c?.status !== 200) return flowFail('abort', 'create', c);
    const mp = { route, token: c.json.token, size, tail, key: c.json.key, headers: {} };
    keep(pool.mps, mp);
    const s = await post('/multipart/sign', { token: mp.token, parts: [{ partNumber: 2, crc32c: crcOf(tail) }] }, { noNoise: true });
    if (s?.status !== 200) return flowFail('abort', 'sign', s);
    const a = await post('/multipart/abort', { token: mp.token }, { noNoise: true });
    if (a?.status !== 200 || a.json?.aborted !== true) return flowFail('abort', 'abort', a);
    mp.aborted = true;
    const a2 = await post('/multipart/abort', { token: mp.token }, { noNoise: true });
    if (a2?.status !== 200) return flowFail('abort', 'abort again', a2);
    const put = await putTo(s.json.parts[0], tail, { noNoise: true, kind: 'after-abort', mustFail: 'PUT to an aborted upload' });
    if (put?.status !== 404) return flowFail('abort', 'PUT after abort', put);
    const done = await post(
      '/multipart/complete',
      { token: mp.token, sha256: hex64() },
      { noNoise: true, kind: 'after-abort', mustFail: 'complete an aborted upload' },
    );
    if (!done || done.status < 400) return flowFail('abort', 'complete after abort', done);
    success.abort++;
  }

  async function routesFlow() {
    const r = await send({ method: 'GET', url: `${BASE}/routes` });
    if (r && r.status === 200 && r.json?.routes?.plain) success.routes++;
    else flowFail('routes', 'GET', r);
  }

  // ---- mutations ----------------------------------------------------------------------------------

  const single = () => (pool.singles.length ? pick(pool.singles) : null);
  const anyToken = () =>
    pick(
      [single()?.token, pool.mps.length ? pick(pool.mps).token : undefined, pool.completed.length ? pick(pool.completed).token : undefined].filter(Boolean),
    ) ?? 'x.y';
  const mpToken = () => (pool.mps.length ? pick(pool.mps).token : anyToken());

  /** A plausible body for an endpoint, built from real tokens: the base the field mutations start from. */
  function baseBody(ep) {
    switch (ep) {
      case '/presign': {
        const route = pick(ROUTES);
        return presignBody(route, makeFile(route));
      }
      case '/multipart/create': {
        const route = pick(ROUTES);
        return {
          route,
          file: { name: `${MARK}-c${++uniq}.bin`, size: PART + 1 + int(PART), type: 'application/octet-stream', sha256: hex64() },
          partSize: PART,
          ...(route === 'meta' ? { metadata: { userId: 'u' } } : route === 'keyed' ? { metadata: { folder: MARK } } : {}),
        };
      }
      case '/multipart/sign':
        return {
          token: mpToken(),
          parts: [
            { partNumber: 1, crc32c: BIG_CRC },
            { partNumber: 2, crc32c: crcOf(textOf(3)) },
          ],
        };
      case '/multipart/complete':
        return { token: mpToken(), sha256: hex64(), firstPartCrc32c: BIG_CRC };
      case '/dedupe':
        return chance(0.5) ? { token: anyToken(), sha256: hex64() } : { token: anyToken(), probe: { crc32c: BIG_CRC } };
      case '/complete':
        return { token: single()?.token ?? 'x.y' };
      default:
        return { token: anyToken() };
    }
  }

  /** Paths into a body, for replacing or deleting one value. */
  function pathsOf(o, prefix = [], out = []) {
    if (o && typeof o === 'object') {
      for (const k of Object.keys(o)) {
        out.push([...prefix, k]);
        pathsOf(o[k], [...prefix, k], out);
      }
    }
    return out;
  }
  function setPath(o, p, val, del = false) {
    let x = o;
    for (const k of p.slice(0, -1)) x = x[k];
    if (del) delete x[p[p.length - 1]];
    else x[p[p.length - 1]] = val;
  }

  /** After a mutated presign got through: push it all the way (PUT, complete, download). */
  async function followThrough(route, body, p, kind) {
    if (p?.status !== 200 || !p.json?.upload) return;
    const size = body?.file?.size;
    if (!Number.isSafeInteger(size) || size > 70_000) return;
    const bytes = textOf(size);
    const put = await putTo(p.json.upload, bytes, { kind });
    if (!put) return;
    const c = await post('/complete', { token: p.json.token }, { kind, headers: userOf(route) });
    if (c?.status === 200 && c.json?.file?.url) {
      await send({ method: pick(['GET', 'HEAD']), url: c.json.file.url }, { kind });
      keep(pool.completed, { route, token: p.json.token, key: p.json.key, url: c.json.file.url, answer: c.json, headers: userOf(route) });
    }
  }

  const usedKeys = [];
  const mutations = [
    // Wrong methods on every endpoint (and odd ones).
    [
      4,
      async function methods() {
        const ep = pick(ENDPOINTS);
        const method = pick(['GET', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'POST', 'OPTIONS', 'PROPFIND', 'get', 'FOO', 'TRACE']);
        await send({ method, url: BASE + ep, headers: { 'content-type': 'application/json' }, body: JSON.stringify(baseBody(ep)) }, { kind: 'method' });
      },
    ],
    // Random or absent content types on valid bodies.
    [
      4,
      async function contentTypes() {
        const ep = pick(ENDPOINTS.slice(0, 8));
        const ct = pick([
          undefined,
          '',
          'text/plain',
          'text/plain;charset=UTF-8',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/json; charset=utf-16',
          'APPLICATION/JSON',
          'application/json;;;',
          'application/problem+json',
          'application/+json',
          'application/jsonx',
          ' application/json ',
          'application/json, text/plain',
          randHeaderValue(),
        ]);
        await send(
          { method: 'POST', url: BASE + ep, headers: ct === undefined ? {} : { 'content-type': ct }, body: JSON.stringify(baseBody(ep)) },
          { kind: 'content-type' },
        );
      },
    ],
    // Broken, huge, deep and non-object JSON, with honest, lying or absent Content-Length.
    [
      8,
      async function badJson() {
        const ep = pick(ENDPOINTS.slice(0, 8));
        const good = JSON.stringify(baseBody(ep));
        const deep = (n, open, close, inner = '1') => open.repeat(n) + inner + close.repeat(n);
        const body = weighted([
          [3, () => good.slice(0, int(good.length))],
          [2, () => bytesOf(1 + int(300))],
          [1, () => Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x3a, 0x31, 0x7d])],
          [1, () => '\ufeff' + good],
          [2, () => good.replace(/}$/, ',"pad":"' + 'x'.repeat(66_000 + int(10_000)) + '"}')],
          [2, () => deep(1000 + int(30_000), '[', ']')],
          [2, () => deep(1000 + int(12_000), '{"a":', '}')],
          [2, () => good.replace(/"file":/, `"file":${deep(50 + int(5000), '{"file":', '}', '{}')},"x":`)],
          [2, () => `{"route":"meta","file":{"name":"a.txt","size":3},"metadata":${deep(20 + int(8000), '{"userId":', '}', '"u"')}}`],
          [
            2,
            () =>
              pick([
                '[]',
                '1',
                '"s"',
                'null',
                'true',
                '',
                ' ',
                '{}',
                '{"route":}',
                '{"a":1,"a":2}',
                '{"__proto__":{"route":"plain"}}',
                '\u0000',
                '{"route":"\u2028"}',
                'NaN',
                '[' + good + ']',
              ]),
          ],
          [1, () => ({ stream: true, chunks: [new TextEncoder().encode(good.slice(0, 10)), new TextEncoder().encode(good.slice(10))], error: chance(0.5) })],
          [1, () => ({ stream: true, chunks: Array.from({ length: 20 }, () => textOf(4096)), error: false })],
        ])();
        const headers = { 'content-type': 'application/json' };
        const len = typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.length : undefined;
        const cl = weighted([
          [4, len],
          [1, undefined],
          [1, pick(['0', '1', '10', '-1', 'abc', '1e3', ' 10', '99999999999', String((len ?? 5) + 7)])],
        ]);
        if (cl !== undefined) headers['content-length'] = String(cl);
        await send({ method: 'POST', url: BASE + ep, headers, body }, { kind: 'bad-json' });
      },
    ],
    // One field replaced by a value of another type, deleted, or an extra one added.
    [
      12,
      async function fields() {
        const ep = pick(ENDPOINTS.slice(0, 8));
        const body = baseBody(ep);
        const paths = pathsOf(body);
        const r = rnd();
        if (r < 0.7 && paths.length) setPath(body, pick(paths), randValue());
        else if (r < 0.85 && paths.length) setPath(body, pick(paths), undefined, true);
        else body[pick(['extra', '__proto__', 'constructor', 'route', 'file', 'metadata', 'token', 'parts', 'partSize', 'probe'])] = randValue();
        noteName(body?.file?.name);
        noteName(body?.metadata?.folder);
        const route = typeof body.route === 'string' ? body.route : '';
        const p = await post(ep, body, { kind: 'fields', headers: userOf(route) });
        if (ep === '/presign') await followThrough(route, body, p, 'fields');
      },
    ],
    // Traversal, control characters, unicode and overlong file names and key-building metadata.
    [
      10,
      async function names() {
        const route = pick(['plain', 'keyed', 'keyed', 'images', 'nosum', 'dd', 'huge']);
        const f = makeFile(route);
        const body = presignBody(route, f);
        const name = weighted([
          [3, () => pick(TRAVERSAL)],
          [2, () => randStr(40)],
          [1, () => `${pick(TRAVERSAL)}.${pick(['txt', 'png', 'bin', 'json', ''])}`],
        ])();
        if (route !== 'keyed' || chance(0.3)) body.file.name = name;
        if (route === 'keyed')
          body.metadata = {
            folder: weighted([
              [3, () => pick(TRAVERSAL)],
              [2, () => `${MARK}/${randStr(30)}`],
              [1, () => randStr(40)],
              [1, () => `${MARK}/${'z'.repeat(200 + int(100))}`],
            ])(),
          };
        noteName(body.file.name);
        noteName(body.metadata?.folder);
        const ep = chance(0.85) ? '/presign' : '/multipart/create';
        if (ep === '/multipart/create') {
          body.file.size = PART + 10;
          body.partSize = PART;
        }
        const p = await post(ep, body, { kind: 'names' });
        if (ep === '/presign') await followThrough(route, body, p, 'names');
      },
    ],
    // Keys from a small vocabulary on the keyed route: objects whose paths collide (a/b vs a, x vs x.json).
    [
      6,
      async function keyCollisions() {
        // Often a key used before, with other bytes of the same size: a second upload to a taken key.
        const again = usedKeys.length && chance(0.35) ? pick(usedKeys) : null;
        const folder = again?.folder ?? Array.from({ length: 1 + int(3) }, () => pick(FOLDER_VOCAB)).join('/');
        const name = again?.name ?? pick(NAME_VOCAB);
        if (!again) keep(usedKeys, { folder, name }, 200);
        noteName(folder);
        noteName(name);
        const bytes = textOf(pick([0, 3, 8, 8, 13, 40]));
        const withSha = chance(0.5);
        const body = {
          route: 'keyed',
          file: { name, size: bytes.length, type: 'text/plain', ...(withSha ? { sha256: sha256hex(bytes) } : {}) },
          metadata: { folder },
        };
        const p = await post('/presign', body, { kind: 'key-collisions' });
        if (p?.status !== 200) return;
        if (chance(0.85)) await putTo(p.json.upload, bytes, { kind: 'key-collisions' });
        const c = await post('/complete', { token: p.json.token }, { kind: 'key-collisions' });
        if (c?.status === 200 && c.json?.file?.url) tracked.push({ kind: 'keyed', key: p.json.key, url: c.json.file.url, index: state.index });
        if (c?.status === 200 && c.json?.file?.url) await send({ method: pick(['GET', 'HEAD']), url: c.json.file.url }, { kind: 'key-collisions' });
      },
    ],
    // Tampered tokens (any change must fail), tokens of the wrong kind, wrong types.
    [
      10,
      async function tokens() {
        const t = anyToken();
        const dot = t.indexOf('.');
        const tamper = weighted([
          [
            3,
            () => {
              const i = int(Math.max(1, dot));
              return t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
            },
          ],
          [
            3,
            () => {
              const i = dot + 1 + int(Math.max(1, t.length - dot - 3));
              return t.slice(0, i) + (t[i] === 'A' ? 'B' : 'A') + t.slice(i + 1);
            },
          ],
          [1, () => t.slice(0, int(t.length))],
          [1, () => t + pick(['A', '.', '=', '%', ' '])],
          [1, () => `${anyToken().split('.')[0]}.${t.split('.')[1] ?? ''}`],
          [1, () => t.replace('.', '..')],
          [1, () => `.${t}`],
          [1, () => t.split('.').reverse().join('.')],
          [1, () => 'A'.repeat(16385)],
          [1, () => `${Buffer.from(JSON.stringify({ v: 1, route: 'plain', key: `../../${MARK}`, exp: 9e15 })).toString('base64url')}.${t.split('.')[1] ?? ''}`],
        ])();
        const ep = pick(TOKEN_ENDPOINTS);
        const body = { ...baseBody(ep), token: tamper };
        await post(ep, body, {
          kind: 'token',
          mustFail: tamper !== t && typeof tamper === 'string' ? 'tampered token' : undefined,
          headers: { 'x-user': 'user1' },
        });
      },
    ],
    [
      3,
      async function tokenTypes() {
        const ep = pick(TOKEN_ENDPOINTS);
        const body = { ...baseBody(ep), token: chance(0.5) ? randValue() : pick([single()?.token, pool.mps[0]?.token].filter(Boolean) ?? 'x') };
        await post(ep, body, { kind: 'token-type' });
      },
    ],
    // Signed local URLs with one parameter changed, removed, added or duplicated.
    [
      12,
      async function urlParams() {
        const src = weighted([
          [3, () => single() && { kind: 'put', url: single().upload.url, headers: single().upload.headers, bytes: single().bytes }],
          [2, () => pool.parts.length && { kind: 'part', ...pick(pool.parts) }],
          [1, () => pool.downloads.length && { kind: 'get', ...pick(pool.downloads) }],
        ])();
        if (!src) return;
        const u = new URL(src.url);
        const method = src.kind === 'get' ? pick(['GET', 'HEAD']) : 'PUT';
        const orig = effective(u.searchParams, method);
        const names = ['sig', 'exp', 'size', 'type', 'sha256', 'uploadId', 'partNumber', 'crc32c', 'd', 'x'];
        const name = pick(names);
        const old = u.searchParams.get(name);
        const op = rnd();
        if (op < 0.6) u.searchParams.set(name, mutateParam(name, old));
        else if (op < 0.8) u.searchParams.delete(name);
        else if (op < 0.9)
          u.search = `?${name}=${encodeURIComponent(mutateParam(name, old).toWellFormed())}&${u.search.slice(1)}`; // first one wins
        else u.search = `${u.search}&${name}=${encodeURIComponent(mutateParam(name, old).toWellFormed())}`; // appended: ignored
        const now = effective(u.searchParams, method);
        const changed = JSON.stringify(now) !== JSON.stringify(orig);
        await send(
          {
            method,
            url: u.href,
            headers: { ...(src.headers ?? {}), 'content-length': String(src.bytes.length) },
            body: method === 'PUT' ? src.bytes : undefined,
          },
          { kind: 'url-param', mustFail: changed ? `signed URL parameter ${name} changed` : undefined },
        );
      },
    ],
    // Local paths: traversal, encoded separators, NUL, bad escapes, overlong segments.
    [
      8,
      async function urlPaths() {
        const src = weighted([
          [3, () => single() && { url: single().upload.url, headers: single().upload.headers, bytes: single().bytes, method: 'PUT' }],
          [1, () => pool.downloads.length && { ...pick(pool.downloads), method: 'GET' }],
          [1, () => pool.parts.length && { ...pick(pool.parts), method: 'PUT' }],
        ])();
        if (!src) return;
        const u = new URL(src.url);
        const prefix = '/api/vs3/local/';
        const encKey = u.pathname.slice(prefix.length);
        const segs = encKey.split('/');
        const bad = weighted([
          [
            3,
            () =>
              pick([
                `..%2f..%2f${MARK}`,
                `%2e%2e/%2e%2e/${MARK}`,
                `%2E%2E%2F%2E%2E%2F${MARK}`,
                `..%5c..%5c${MARK}`,
                `%5c..%5c${MARK}`,
                `${MARK}%00`,
                '%00',
                `a/%2e%2e/%2e%2e/../${MARK}`,
                `%c0%ae%c0%ae/${MARK}`,
                '%zz',
                '%',
                'x'.repeat(5000),
                '%2e',
                `.vs3/dedupe/dd/${hex64()}.json`,
                `${encKey}/..`,
                `${encKey}%2f..`,
                `${encKey}%2f%2e%2e%2f..%2f${MARK}`,
                `../../../../${MARK}`,
                `..\\..\\${MARK}`,
                `${encKey}/`,
                `/${encKey}`,
                `${encKey}//`,
                encodeURIComponent(decodeURIComponent(encKey)),
                encKey.toUpperCase(),
                `${encKey}%20`,
              ]),
          ],
          [2, () => segs.map((s) => (chance(0.4) ? pick(['..', '%2e%2e', '.', '%2e', '', '%2f', '%5c', '%00', 'é', '%e9', '%ff', MARK]) : s)).join('/')],
          [1, () => encKey.replace(/\//g, pick(['%2f', '%2F', '\\', '%5c']))],
        ])();
        u.pathname = prefix + bad;
        const url = `${u.origin}${u.pathname}${u.search}`;
        let decoded = null;
        try {
          const p = new URL(url).pathname;
          decoded = p.startsWith(prefix) ? p.slice(prefix.length).split('/').map(decodeURIComponent).join('/') : null;
        } catch {
          // a bad escape: not the key
        }
        noteName(decoded ?? '');
        const same = decoded === encKey.split('/').map(decodeURIComponent).join('/');
        await send(
          {
            method: src.method,
            url,
            headers: { ...(src.headers ?? {}), 'content-length': String(src.bytes.length) },
            body: src.method === 'PUT' ? src.bytes : undefined,
          },
          { kind: 'url-path', mustFail: same ? undefined : 'signed URL for another key' },
        );
      },
    ],
    // Bodies longer, shorter or other than signed; lying or absent Content-Length; broken streams; wrong Content-Type.
    [
      10,
      async function bodies() {
        const src = chance(0.7)
          ? single() && { ...single(), url: single().upload.url, headers: single().upload.headers, type: single().upload.headers['content-type'] }
          : pool.parts.length && { ...pick(pool.parts), headers: {} };
        if (!src) return;
        const signed = src.bytes;
        const v = weighted([
          [2, () => ({ body: Buffer.concat([signed, bytesOf(1 + int(100))]), tag: 'longer' })],
          [2, () => ({ body: signed.subarray(0, Math.max(0, signed.length - 1 - int(10))), tag: 'shorter' })],
          [
            2,
            () => {
              const b = Uint8Array.from(signed);
              if (b.length) b[int(b.length)] ^= 0xff;
              return { body: b, tag: b.length ? 'other bytes' : 'same' };
            },
          ],
          [1, () => ({ body: { stream: true, chunks: [signed.subarray(0, signed.length >> 1)], error: true }, tag: 'broken stream' })],
          [1, () => ({ body: { stream: true, chunks: [signed, textOf(10)], error: false }, tag: 'longer stream' })],
          [1, () => ({ body: signed, tag: 'same', noLength: true })],
          [1, () => ({ body: signed, tag: 'same', length: pick(['abc', '-1', '1e3', String(signed.length + 1), '0', ' ' + signed.length]) })],
          [
            1,
            () => ({
              body: signed,
              tag: 'same',
              type: pick(['text/html', 'application/octet-stream', '', 'image/svg+xml', (src.type ?? '').toUpperCase(), `${src.type ?? ''}; charset=utf-8`]),
            }),
          ],
        ])();
        const headers = { ...src.headers };
        if (v.type !== undefined) headers['content-type'] = v.type;
        if (!v.noLength) headers['content-length'] = v.length ?? String(signed.length);
        const lenOk = v.body instanceof Uint8Array ? v.body.length === signed.length : false;
        let mustFail;
        if (v.tag === 'longer' || v.tag === 'shorter' || v.tag === 'broken stream' || v.tag === 'longer stream') mustFail = `body ${v.tag} than signed`;
        if (v.tag === 'other bytes' && (src.sha256 || src.mp)) mustFail = 'body other than signed (checksummed)';
        if (v.noLength) mustFail = 'no Content-Length';
        if (v.length !== undefined && Number(v.length) !== signed.length) mustFail = 'Content-Length other than signed';
        if (v.type !== undefined && !src.mp && v.type.toLowerCase() !== (src.type ?? '')) mustFail = 'Content-Type other than signed';
        void lenOk;
        await send({ method: 'PUT', url: src.url, headers, body: v.body }, { kind: 'body', mustFail });
      },
    ],
    // Other methods on local URLs.
    [
      3,
      async function localMethods() {
        const src = weighted([
          [2, () => single() && { url: single().upload.url, bytes: single().bytes, signed: 'PUT' }],
          [1, () => pool.downloads.length && { ...pick(pool.downloads), signed: 'GET' }],
        ])();
        if (!src) return;
        const method = pick(['POST', 'DELETE', 'PATCH', 'GET', 'HEAD', 'PUT', 'OPTIONS', 'MKCOL']);
        const mustFail =
          (src.signed === 'PUT' && ['GET', 'HEAD'].includes(method)) || (src.signed === 'GET' && method === 'PUT')
            ? 'a URL signed for another method'
            : undefined;
        await send(
          { method, url: src.url, headers: { 'content-length': String(src.bytes.length), 'content-type': 'application/octet-stream' }, body: src.bytes },
          { kind: 'local-method', mustFail },
        );
      },
    ],
    // Replays: complete, abort, resume, PUT again, dedupe with the wrong token kind.
    [
      8,
      async function replays() {
        const r = rnd();
        if (r < 0.35 && pool.completed.length) {
          const c = pick(pool.completed);
          const again = c.mp
            ? await post('/multipart/complete', { token: c.token, sha256: c.sha }, { kind: 'replay', headers: c.headers })
            : await post('/complete', { token: c.token }, { kind: 'replay', headers: c.headers });
          if (again && again.status === 200 && again.json?.file?.key !== c.key)
            failures.push(`[fuzz] replayed completion answered another key: ${again.json?.file?.key} != ${c.key}`);
        } else if (r < 0.55 && pool.mps.length) {
          const mp = pick(pool.mps);
          await post(
            pick(['/multipart/abort', '/multipart/resume', '/multipart/sign', '/dedupe']),
            { token: mp.token, parts: [{ partNumber: 2, crc32c: crcOf(mp.tail ?? new Uint8Array()) }], sha256: mp.sha ?? hex64() },
            { kind: 'replay', headers: mp.headers },
          );
        } else if (r < 0.8 && single()) {
          const s = single();
          await putTo(s.upload, s.bytes, { kind: 'replay' });
        } else if (pool.parts.length) {
          const p = pick(pool.parts);
          await putTo({ url: p.url }, p.bytes, { kind: 'replay' });
        }
      },
    ],
    // The clock moves: URLs and tokens expire, the resume window closes.
    [
      4,
      async function timeTravel() {
        const skew = pick([11 * 60_000, 2 * 3600_000, 25 * 3600_000, 8 * 86_400_000, -3600_000, -30 * 86_400_000]);
        state.skew = skew;
        try {
          const r = rnd();
          if (r < 0.3 && single()) {
            const s = single();
            await putTo(s.upload, s.bytes, { kind: 'time', mustFail: skew >= 11 * 60_000 ? 'an expired upload URL' : undefined });
          } else if (r < 0.55 && pool.completed.length) {
            const c = pick(pool.completed);
            await post(
              c.mp ? '/multipart/complete' : '/complete',
              { token: c.token, sha256: c.sha },
              { kind: 'time', headers: c.headers, mustFail: skew >= 2 * 3600_000 && !c.mp ? 'an expired token' : undefined },
            );
          } else if (pool.mps.length) {
            const mp = pick(pool.mps);
            const ep = pick(['/multipart/resume', '/multipart/sign', '/multipart/complete']);
            const mustFail =
              (ep === '/multipart/resume' && skew >= 8 * 86_400_000) || (ep !== '/multipart/resume' && skew >= 25 * 3600_000)
                ? 'an expired token / resume window'
                : undefined;
            await post(
              ep,
              { token: mp.token, parts: [{ partNumber: 1, crc32c: BIG_CRC }], sha256: mp.sha ?? hex64() },
              { kind: 'time', headers: mp.headers, mustFail },
            );
          } else if (pool.downloads.length) {
            await send(
              { method: 'GET', url: pick(pool.downloads).url },
              { kind: 'time', mustFail: skew >= 2 * 3600_000 ? 'an expired download URL' : undefined },
            );
          }
        } finally {
          state.skew = 0;
        }
      },
    ],
    // Paths that are not endpoints, in and outside basePath.
    [
      4,
      async function paths() {
        const p = pick([
          '/',
          '/api/vs',
          '/api/vs3x',
          '/api/vs3',
          '/api/vs3/',
          '/api/vs3//presign',
          '/api/vs3/presign/',
          '/api/vs3/PRESIGN',
          '/api/vs3/local',
          '/api/vs3/local/',
          '/api/vs3/%2e%2e/presign',
          '/api/vs3/multipart',
          '/api/vs3/multipart/',
          '/api/vs3/local/..',
          `/api/vs3/${randStr(20)}`,
          `/api/vs3/local/${randStr(30)}`,
          '/api/vs3/presign%00',
          '/api/vs3/presign?x=1',
          '/api/vs3/routes/..',
          `/api/vs3/local/${MARK}?exp=9999999999999&sig=${'A'.repeat(43)}`,
        ]);
        let url;
        try {
          url = new URL(p.replace(/#/g, '%23'), 'http://vs3.test').href;
        } catch {
          return;
        }
        await send({ method: pick(['GET', 'POST', 'PUT', 'HEAD']), url, headers: { 'content-type': 'application/json' }, body: '{}' }, { kind: 'paths' });
      },
    ],
    // Preflights, allowed origin or not.
    [
      3,
      async function preflights() {
        const p = pick([...ENDPOINTS, '/local/plain/x/a.txt', '/nope', '/local/%2e%2e']);
        const headers = {};
        if (chance(0.8)) headers.origin = pick(['https://app.example', 'https://evil.example', 'null', randHeaderValue()]);
        if (chance(0.7)) headers['access-control-request-method'] = pick(['POST', 'PUT', 'GET', 'DELETE']);
        if (chance(0.5)) headers['access-control-request-headers'] = pick(['content-type', 'x-request-id, content-type', 'x-evil', randHeaderValue()]);
        await send({ method: 'OPTIONS', url: BASE + p, headers }, { kind: 'preflight', noNoise: true });
      },
    ],
    // /multipart/sign part lists.
    [
      5,
      async function signParts() {
        const token = mpToken();
        const parts = weighted([
          [1, () => []],
          [1, () => Array.from({ length: 101 }, (_, i) => ({ partNumber: (i % 2) + 1, crc32c: BIG_CRC }))],
          [
            2,
            () => [
              { partNumber: 1, crc32c: BIG_CRC },
              { partNumber: 1, crc32c: BIG_CRC },
            ],
          ],
          [3, () => [{ partNumber: pick([0, -1, 3, 10_001, 1.5, '1', null, 2 ** 53, 1e308]), crc32c: BIG_CRC }]],
          [3, () => [{ partNumber: 1, crc32c: pick(['', 'AAAAAA==', 'AAAAAB==', 'AAAAAAA=', '////////', 'AAAA', BIG_CRC + '=', 123, null, randStr(8)]) }]],
          [2, () => [randValue()]],
          [1, () => randValue()],
        ])();
        await post('/multipart/sign', { token, parts }, { kind: 'sign' });
      },
    ],
    // /multipart/create sizes and part sizes; the huge route goes past S3's limits.
    [
      4,
      async function createSizes() {
        const route = pick(['huge', 'big', 'nosum', 'keyed']);
        const size = pick([0, 1, PART, PART + 1, 5 * 1024 ** 3, 60 * 1024 ** 3, 5 * 1024 ** 3 * 10_000 + 1, 2 ** 53 - 1, 2 ** 53, -1, 1e308, 16e6 + 1]);
        const partSize = pick([PART, PART - 1, 5 * 1024 ** 3, 5 * 1024 ** 3 + 1, 0, -PART, 1.5 * PART, `${PART}`, null, 2 ** 53, 64 * 1024 ** 2]);
        const body = {
          route,
          file: { name: `${MARK}.bin`, size, type: 'application/octet-stream' },
          partSize,
          ...(route === 'keyed' ? { metadata: { folder: MARK } } : {}),
        };
        const r = await post('/multipart/create', body, { kind: 'create' });
        if (r?.status === 200) keep(pool.mps, { route, token: r.json.token, size, headers: {}, key: r.json.key });
      },
    ],
    // Routes that authorize: no user, someone else.
    [
      3,
      async function authz() {
        const route = 'authed';
        const f = makeFile(route);
        const body = presignBody(route, f);
        const headers = pick([{}, { 'x-user': '' }, { 'x-user': 'user1' }, { 'x-user': randHeaderValue() }]);
        await post(pick(['/presign', '/multipart/create']), { ...body, partSize: PART }, { kind: 'authz', headers });
      },
    ],
  ];

  const flows = [
    [40, singleFlow],
    [4, multipartFlow],
    [8, dedupeFlow],
    [2, dedupeMultipartFlow],
    [9, resumeFlow],
    [9, abortFlow],
    [2, routesFlow],
  ];

  // ---- the run ------------------------------------------------------------------------------------

  const t0 = performance.now();
  while (state.index < TARGET && performance.now() - t0 < BUDGET_MS) {
    if (chance(0.3)) await weighted(flows)();
    else await weighted(mutations)();
  }
  const elapsed = (performance.now() - t0) / 1000;

  // Completed objects still there? (A HEAD through the handler with the download URL it gave.)
  const gone = [];
  for (const t of tracked) {
    const r = await send({ method: 'HEAD', url: t.url }, { kind: 'final-check', noNoise: true });
    if (r && r.status !== 200) gone.push(t);
  }

  // ---- after the run ------------------------------------------------------------------------------

  // Nothing outside the data directory, anywhere under root.
  const allowed = new Set([root, path.join(root, 'sandbox'), path.join(root, 'sandbox', 'inner'), dataDir]);
  const outside = (await walk(root)).filter((p) => !allowed.has(p) && !p.startsWith(dataDir + path.sep));
  // No temp files left behind by failed writes.
  const leftovers = await walk(path.join(dataDir, 'tmp'));
  const objects = (await walk(path.join(dataDir, 'objects'))).length;

  const tmpAfter = await listTmp();
  const repoAfter = await listRepo();
  const ours = (name) => {
    const n = name.normalize('NFC');
    return (
      sentNames.has(n) || n.includes(MARK) || /^(objects|meta|tmp|uploads)$/.test(n) || UUID_RE.test(n) || /^deleted-/.test(n) || /^\d+\.(part|json)$/.test(n)
    );
  };
  const newTmp = [...tmpAfter].filter((n) => !tmpBefore.has(n) && n !== path.basename(root));
  const newRepo = [...repoAfter].filter((p) => !repoBefore.has(p));
  const escapedTmp = newTmp.filter(ours);
  const escapedRepo = newRepo.filter((p) => path.relative(REPO, p).split(path.sep).some(ours));
  const ignored = [...newTmp.filter((n) => !ours(n)), ...newRepo.filter((p) => !escapedRepo.includes(p))];

  const top = (m, n = 12) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([k, c]) => `${k}: ${c}`)
      .join(', ');
  console.log(
    `[fuzz] seed=${SEED}: ${state.index} requests in ${elapsed.toFixed(1)} s (${Math.round(state.index / elapsed)}/s), ${unsendable} not expressible as a Request`,
  );
  console.log(`[fuzz] statuses: ${top(statusCount, 20)}`);
  console.log(`[fuzz] error codes: ${top(codeCount, 40)}`);
  console.log(`[fuzz] generators: ${top(kindCount, 40)}`);
  console.log(`[fuzz] valid flows succeeded: ${JSON.stringify(success)}; objects stored: ${objects}`);
  if (ignored.length)
    console.log(
      `[fuzz] new entries in ${os.tmpdir()} / the repo not named like anything the fuzzer sent (concurrent activity, ignored): ${ignored.slice(0, 10).join(', ')}`,
    );

  await fs.rm(root, { recursive: true, force: true });

  const problems = [];
  if (failures.length) problems.push(`${failures.length} failing requests (first: ${failures[0]})`);
  if (state.reports.length) {
    const kinds = new Map();
    for (const r of state.reports) {
      const k = String(r.error?.stack ?? r.error)
        .split('\n')
        .slice(0, 3)
        .join(' | ')
        .replace(/'[^']*'/g, "'...'");
      if (!kinds.has(k)) kinds.set(k, { n: 0, first: r });
      kinds.get(k).n++;
    }
    problems.push(
      `onError got ${state.reports.length} reports:\n` +
        [...kinds.values()]
          .map(
            ({ n, first }) =>
              `  ${n}x, first at request ${first.index}: ${String(first.error?.stack ?? first.error)
                .split('\n')
                .slice(0, 6)
                .join('\n    ')}`,
          )
          .join('\n'),
    );
  }
  for (const kind of new Set(gone.map((g) => g.kind))) {
    const g = gone.filter((x) => x.kind === kind);
    problems.push(
      `${g.length} of ${tracked.filter((t) => t.kind === kind).length} ${kind} uploads completed (200) but gone at the end, e.g. ${g
        .slice(0, 3)
        .map((x) => `${JSON.stringify(x.key)} (completed at request ${x.index})`)
        .join(', ')}`,
    );
  }
  if (flowFailures.length) problems.push(`${flowFailures.length} valid flows failed (first: ${flowFailures[0]})`);
  if (outside.length) problems.push(`files outside the data dir: ${outside.slice(0, 10).join(', ')}`);
  if (leftovers.length) problems.push(`temp files left in the data dir's tmp/: ${leftovers.length}`);
  if (escapedTmp.length || escapedRepo.length)
    problems.push(`new entries in ${os.tmpdir()} or the repo named like fuzz input: ${[...escapedTmp, ...escapedRepo].slice(0, 10).join(', ')}`);
  for (const line of problems) console.log(`[fuzz] PROBLEM: ${line.slice(0, 3000)}`);

  assert.ok(state.index >= MIN_REQUESTS, `only ${state.index} requests within ${BUDGET_MS} ms (need ${MIN_REQUESTS})`);
  const floors = { single: 800, multipart: 15, dedupe: 100, dedupeMultipart: 5, resume: 100, abort: 100, download: 150, replay: 80, routes: 20 };
  for (const [k, min] of Object.entries(floors)) assert.ok(success[k] >= min, `valid ${k} flows: ${success[k]} succeeded, need ${min}`);
  assert.deepEqual(problems, []);
});

/**
 * What the local driver signs from a URL's query (the claims it recomputes, parsed as it parses them):
 * a changed value here must make the request fail. Unsigned extras are not listed.
 */
function effective(q, method) {
  const s = (k) => q.get(k);
  const n = (k) => Number(q.get(k));
  if (method === 'GET' || method === 'HEAD') return ['get', n('exp'), s('sig') ?? '', s('d') ?? ''];
  return q.has('uploadId')
    ? ['part', s('uploadId'), n('partNumber'), n('size'), s('crc32c') ?? '', n('exp'), s('sig') ?? '']
    : ['put', n('size'), s('type') ?? '', s('sha256') ?? '', n('exp'), s('sig') ?? ''];
}

function mutateParam(name, old) {
  const o = old ?? '';
  switch (name) {
    case 'sig': {
      if (!o || chance(0.2)) return pick(['', 'A'.repeat(43), o + 'A', o.slice(0, -1), '%', 'AAAA']);
      const i = int(Math.max(1, o.length - 1)); // never the last character (it has unused bits)
      return o.slice(0, i) + (o[i] === 'A' ? 'B' : 'A') + o.slice(i + 1);
    }
    case 'exp':
    case 'size':
    case 'partNumber': {
      const x = Number(o);
      return String(pick([x + 1, x - 1, 0, -1, 2 ** 53, `${x}.0`, ` ${x}`, `0x${x.toString(16)}`, `${x}e0`, 'NaN', '', '1e400', x * 2]));
    }
    case 'type':
      return pick(['text/html', o.toUpperCase(), `${o};x=1`, '', 'image/svg+xml', 'application/octet-stream', `${o} `]);
    case 'sha256':
      return pick([o.toUpperCase(), '', 'a'.repeat(64), o.slice(0, 63), `${o}0`]);
    case 'uploadId':
      return pick(['', '00000000-0000-0000-0000-000000000000', `../${o}`, o.toUpperCase(), `${o}/..`, '%2e%2e']);
    case 'd':
      return pick(['inline', '', 'attachment', `${o}x`, 'attachment; filename="x.html"']);
    case 'crc32c':
      return pick(['', 'AAAAAA==', o.toLowerCase(), `${o}=`, '////////']);
    default:
      return randStr(10);
  }
}
