// Resume after an interruption (issue 7), Node side: a queue stopped half way (as a page closing is)
// and a new queue with the same resume state; a different file with the same name and size; a token
// and part URLs that expired meanwhile (the server's clock moved forward); a Node process killed with
// SIGKILL mid-upload, resumed from its JSON state file. Local driver always, Ceph RGW when it runs.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { createUploadQueue, fetchTransport, memoryResumeStore } from 'vs3/client';
import { createNodeQueue, ensureBucket, fsStore, loadCoreNode, s3OptionsFromEnv } from 'vs3/node';
import { crc32c, crc32cToBase64, createHandler, defineRoute, localStorage, s3Storage } from 'vs3/server';
import { SECRET, randomFile, serve, sha256hex, tempDir } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const core = await loadCoreNode();
const MiB = 1024 * 1024;
const PART = 5 * MiB;

const bucket = `vs3-resume-${Date.now().toString(36)}`;
const s3opts = process.env.VS3_S3_ENDPOINT ? s3OptionsFromEnv(process.env, bucket) : null;
if (s3opts) await ensureBucket(s3opts);
after(async () => {
  if (!s3opts) return;
  const s3 = s3Storage(s3opts);
  for (const u of await s3.listMultipartUploads('').catch(() => [])) await s3.abortMultipart(u.key, u.uploadId).catch(() => {});
});

/**
 * Counts the body bytes of PUTs that storage answered 2xx: what was sent again. delayMs holds each PUT
 * back first, so a queue about to be stopped is nowhere near its complete when the test stops it.
 */
function countingTransport(delayMs = 0) {
  const real = fetchTransport();
  const t = {
    bytes: 0,
    async put(req) {
      if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
      const res = await real.put(req);
      if (res.status >= 200 && res.status < 300) t.bytes += req.body.size ?? req.body.byteLength;
      return res;
    },
  };
  return t;
}

const drivers = {
  local: async (t) => {
    const dir = await tempDir(t);
    const storage = localStorage({ store: fsStore(dir), secret: SECRET });
    return { storage, read: async (key) => readFile(path.join(dir, 'objects', key)) };
  },
  rgw: async () => {
    const storage = s3Storage(s3opts);
    return {
      storage,
      read: async (key) => Buffer.from(await (await storage.signedFetch(storage.objectUrl(key))).arrayBuffer()),
    };
  },
};

async function setup(t, driver, { clock = { offset: 0 } } = {}) {
  const { storage, read } = await drivers[driver](t);
  const ctl = { failComplete: false };
  const real = createHandler({
    secret: SECRET,
    storage,
    now: () => Date.now() + clock.offset,
    routes: { files: defineRoute({ maxFileSize: '1GB' }) },
  });
  // failComplete: /multipart/complete answers 503 (storage trouble) until cleared.
  const handler = (req) =>
    ctl.failComplete && new URL(req.url).pathname.endsWith('/multipart/complete')
      ? Promise.resolve(Response.json({ error: { code: 'storage_error', message: 'down' } }, { status: 503 }))
      : real(req);
  const srv = await serve(handler);
  t.after(() => srv.close());
  const calls = [];
  const queue = (store, { slow = false, ...extra } = {}) => {
    const transport = countingTransport(slow ? 150 : 0);
    const q = createUploadQueue({
      endpoint: `${srv.url}/api/vs3`,
      core,
      transport,
      persist: store,
      partSize: PART,
      maxInFlight: 2,
      fetch: (url, init) => (calls.push(new URL(url).pathname.replace('/api/vs3', '')), fetch(url, init)),
      retry: { seed: 3, baseDelayMs: 5, maxDelayMs: 50 },
      ...extra,
    });
    t.after(() => q.dispose());
    return { q, transport };
  };
  return Object.assign(ctl, { storage, read, queue, calls, clock, url: srv.url });
}

/** Adds `file` and stops the queue (as a closing page does) once `parts` parts are stored. */
async function interrupt(q, file, parts) {
  const h = q.add(file, { route: 'files' });
  h.promise.catch(() => {});
  await new Promise((resolve, reject) => {
    const off = q.subscribe(() => {
      const s = q.getSnapshot().files[0];
      if (s?.state === 'failed') reject(new Error(s.error.message));
      if (s && s.partsStored >= parts) {
        off();
        resolve();
      }
    });
  });
  q.dispose();
  await new Promise((r) => setTimeout(r, 100)); // the state write dispose() started
}

for (const driver of ['local', 'rgw']) {
  const skip = driver === 'rgw' && !s3opts ? 'no S3 endpoint (run through scripts/test.sh)' : false;
  describe(`resume (${driver} driver)`, { skip }, () => {
    test('stopped half way, resumed by a new queue: only the missing parts are sent, the object is the source', async (t) => {
      const env = await setup(t, driver);
      const store = memoryResumeStore();
      const src = randomFile(8 * PART + 123, 'video.mp4', 'video/mp4'); // 9 parts
      await interrupt(env.queue(store, { slow: true }).q, src.blob, 4);
      const [rec] = await store.list();
      assert.ok(rec && rec.parts.length >= 4, `recorded ${rec?.parts.length} parts`);
      assert.match(rec.firstPartSha256, /^[0-9a-f]{64}$/);

      const { q, transport } = env.queue(store);
      const list = await q.restore();
      assert.equal(list.length, 1);
      assert.equal(list[0].name, 'video.mp4');
      assert.ok(list[0].bytesStored >= 4 * PART);
      const res = await q.add(src.blob, { route: 'files' }).promise;
      assert.equal(res.sha256, src.sha256);
      assert.equal(res.key, rec.key, 'the same upload, not a new one');
      const snap = q.getSnapshot().files[0];
      assert.equal(snap.resumed, true);
      assert.ok(snap.bytesReused >= 4 * PART);
      const fraction = transport.bytes / src.bytes.length;
      assert.ok(fraction <= 0.6, `sent again ${(fraction * 100).toFixed(1)} %`);
      assert.equal(transport.bytes + snap.bytesReused, src.bytes.length, 'every byte either kept or sent once');
      assert.equal(sha256hex(await env.read(res.key)), src.sha256);
      assert.deepEqual(await store.list(), [], 'state removed on success');
    });

    test('another file with the same name and size is refused and touches nothing; the right one then resumes', async (t) => {
      const env = await setup(t, driver);
      const store = memoryResumeStore();
      const src = randomFile(6 * PART, 'report.pdf', 'application/pdf');
      await interrupt(env.queue(store, { slow: true }).q, src.blob, 2);
      const [rec] = await store.list();
      const before = await env.storage.listParts(rec.key, rec.uploadId);

      const { q, transport } = env.queue(store);
      const other = randomFile(6 * PART, 'report.pdf', 'application/pdf');
      await assert.rejects(q.add(other.blob, { route: 'files' }).promise, (e) => e.code === 'file_mismatch' && /not the file/.test(e.message));
      assert.equal(transport.bytes, 0, 'nothing sent');
      assert.deepEqual(await env.storage.listParts(rec.key, rec.uploadId), before, 'stored parts untouched');
      assert.equal((await store.list()).length, 1, 'the interrupted upload is still there');

      const res = await q.add(src.blob, { route: 'files' }).promise;
      assert.equal(res.key, rec.key);
      assert.equal(sha256hex(await env.read(res.key)), src.sha256);
    });

    test('resume after the token and the part URLs expired', async (t) => {
      // The server's clock jumps 25 h: the token (24 h) and every part URL signed before (minutes)
      // are expired. (Part URLs are never kept: a resumed upload signs new ones. RGW checks a URL's
      // date with its own clock, and the S3 driver signs with real time, so there the jump expires
      // the token only.)
      const env = await setup(t, driver);
      const store = memoryResumeStore();
      const src = randomFile(6 * PART + 7, 'late.bin');
      await interrupt(env.queue(store, { slow: true }).q, src.blob, 2);
      env.clock.offset = 25 * 3600_000;
      const [rec] = await store.list();
      const { q } = env.queue(store);
      env.calls.length = 0;
      const res = await q.add(src.blob, { route: 'files' }).promise;
      assert.equal(res.key, rec.key);
      assert.equal(sha256hex(await env.read(res.key)), src.sha256);
      assert.ok(env.calls.includes('/multipart/resume'));
      assert.ok(!env.calls.includes('/multipart/create'), 'resumed, not started over');
    });

    test('a stored part whose bytes are not the recorded PUT any more (other ETag) is sent again', async (t) => {
      // The record says part 2 holds the file's bytes (its CRC and ETag), but a later PUT whose record
      // was lost (a crash) replaced them with other bytes. RGW reports no part CRC: only the ETag tells.
      const env = await setup(t, driver);
      const store = memoryResumeStore();
      const src = randomFile(4 * PART + 11, 'edited.bin');
      await interrupt(env.queue(store, { slow: true }).q, src.blob, 2);
      const [rec] = await store.list();
      assert.ok(
        rec.parts.some((p) => p.n === 2),
        'part 2 recorded',
      );
      const other = randomBytes(PART);
      const signed = await fetch(`${env.url}/api/vs3/multipart/sign`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ token: rec.token, parts: [{ partNumber: 2, crc32c: crc32cToBase64(crc32c(other)) }] }),
      }).then((r) => r.json());
      const put = await fetch(signed.parts[0].url, { method: 'PUT', headers: signed.parts[0].headers, body: other });
      assert.equal(put.status, 200, await put.text());
      const res = await env.queue(store).q.add(src.blob, { route: 'files' }).promise;
      assert.equal(res.key, rec.key);
      assert.equal(sha256hex(await env.read(res.key)), src.sha256, 'the object is the source, not a mix');
    });

    test('an upload aborted meanwhile (lifecycle rule, cleanup) starts over', async (t) => {
      const env = await setup(t, driver);
      const store = memoryResumeStore();
      const src = randomFile(5 * PART, 'gone.bin');
      await interrupt(env.queue(store, { slow: true }).q, src.blob, 2);
      const [rec] = await store.list();
      await env.storage.abortMultipart(rec.key, rec.uploadId);
      const { q, transport } = env.queue(store);
      const res = await q.add(src.blob, { route: 'files' }).promise;
      assert.notEqual(res.key, rec.key, 'a new upload');
      assert.equal(transport.bytes, src.bytes.length);
      assert.equal(sha256hex(await env.read(res.key)), src.sha256);
      assert.deepEqual(await store.list(), []);
    });
  });
}

test('cancel removes the resume state; persist: false writes none; discard() aborts on storage', async (t) => {
  const env = await setup(t, 'local');
  const store = memoryResumeStore();
  const src = randomFile(4 * PART, 'c.bin');
  const { q } = env.queue(store);
  const h = q.add(src.blob, { route: 'files' });
  await new Promise((r) => q.subscribe(() => q.getSnapshot().files[0]?.partsStored >= 1 && r()));
  await new Promise((r) => setTimeout(r, 50));
  assert.equal((await store.list()).length, 1);
  h.cancel();
  await assert.rejects(h.promise);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await store.list(), []);

  const spy = { ...memoryResumeStore(), writes: 0 };
  const off = env.queue(spy, { persist: false }).q;
  await off.add(src.blob, { route: 'files' }).promise;
  assert.deepEqual(await spy.list(), []);

  await interrupt(env.queue(store, { slow: true }).q, src.blob, 1);
  const [rec] = await store.list();
  const q3 = env.queue(store).q;
  assert.equal(await q3.discard(rec.id), true);
  assert.deepEqual(await store.list(), []);
  assert.equal(await env.storage.listParts(rec.key, rec.uploadId), null, 'aborted on storage');

  await interrupt(env.queue(store, { slow: true }).q, src.blob, 1);
  const [rec2] = await store.list();
  await q3.forget(); // sign-out: local records gone, storage not asked
  assert.deepEqual(await store.list(), []);
  assert.ok(await env.storage.listParts(rec2.key, rec2.uploadId), 'left on storage (a lifecycle rule aborts it)');
  await env.storage.abortMultipart(rec2.key, rec2.uploadId);
});

test('with resume state, a failed upload is kept (listed by restore) instead of aborted', async (t) => {
  // The handler refuses every complete (e.g. a hook throws): the file fails; the upload and its record stay.
  const env = await setup(t, 'local');
  const store = memoryResumeStore();
  const src = randomFile(3 * PART, 'kept.bin');
  const { q } = env.queue(store, { completeTimeoutMs: 1, retry: { seed: 1, baseDelayMs: 1, maxDelayMs: 2, maxAttempts: 2 } });
  const orig = env.failComplete;
  env.failComplete = true;
  await assert.rejects(q.add(src.blob, { route: 'files' }).promise, (e) => e.code === 'retry_exhausted' || e.code === 'upload_failed');
  env.failComplete = orig;
  const [rec] = await store.list();
  assert.ok(rec, 'record kept');
  assert.ok(await env.storage.listParts(rec.key, rec.uploadId), 'upload not aborted');
  assert.equal((await q.restore()).length, 1);
  const res = await env.queue(store).q.add(src.blob, { route: 'files' }).promise;
  assert.equal(res.key, rec.key);
  assert.equal(sha256hex(await env.read(res.key)), src.sha256);
});

test('interrupted uploads older than resumeMaxAgeMs are forgotten', async (t) => {
  const env = await setup(t, 'local');
  const store = memoryResumeStore();
  const src = randomFile(3 * PART, 'old.bin');
  await interrupt(env.queue(store, { slow: true }).q, src.blob, 1);
  assert.equal((await env.queue(store).q.restore()).length, 1);
  const later = env.queue(store, { now: () => Date.now() + 8 * 86_400_000 }).q; // default 7 days
  assert.deepEqual(await later.restore(), []);
  await new Promise((r) => setTimeout(r, 20));
  assert.deepEqual(await store.list(), [], 'the expired record is deleted');
  // A fresh upload of the same file starts over rather than resuming the forgotten one.
  const res = await env.queue(store).q.add(src.blob, { route: 'files' }).promise;
  assert.equal(sha256hex(await env.read(res.key)), src.sha256);
});

test('Node: a process killed mid-upload resumes from its JSON state file', async (t) => {
  const env = await setup(t, 'local');
  const dir = await tempDir(t);
  const file = path.join(dir, 'footage.bin');
  const bytes = randomBytes(10 * PART + 99);
  await writeFile(file, bytes);
  const state = path.join(dir, 'state', 'vs3-resume.json');
  const srvUrl = await (async () => {
    const srv = await serve(createHandler({ secret: SECRET, storage: env.storage, routes: { files: defineRoute({ maxFileSize: '1GB' }) } }));
    t.after(() => srv.close());
    return srv.url;
  })();
  const child = spawn(process.execPath, [path.join(here, 'fixtures/resume-child.mjs'), `${srvUrl}/api/vs3`, file, state], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  // Killed hard (no exit handlers run) once 5 of 11 parts are stored.
  await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const n = Math.max(0, ...[...out.matchAll(/parts (\d+)/g)].map((m) => Number(m[1])));
      if (n >= 5) {
        child.kill('SIGKILL');
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before the kill:\n${out}`)));
  });
  await new Promise((r) => child.once('exit', r));
  const saved = JSON.parse(await readFile(state, 'utf8'));
  assert.equal(saved.uploads.length, 1);
  assert.equal(saved.uploads[0].path, file);

  const transport = countingTransport();
  const q = createNodeQueue({ endpoint: `${srvUrl}/api/vs3`, resumeState: state, transport, partSize: PART });
  t.after(() => q.dispose());
  const [u] = await q.restore();
  assert.equal(u.path, file);
  const res = await q.resume(u.id).promise; // opens the recorded path
  assert.equal(res.sha256, sha256hex(bytes));
  assert.equal(sha256hex(await env.read(res.key)), sha256hex(bytes));
  assert.ok(transport.bytes <= 0.6 * bytes.length, `sent again ${transport.bytes} of ${bytes.length}`);
  assert.deepEqual(JSON.parse(await readFile(state, 'utf8')).uploads, []);
});

test('a resume state file that is not JSON is moved aside (kept), not overwritten by the next write', async (t) => {
  const { jsonFileStore } = await import('vs3/node');
  const { mkdtemp, readdir, rm } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const dir = await mkdtemp(path.join(tmpdir(), 'vs3-json-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'state.json');
  await writeFile(file, '{"v":1,"uploads":[{"id":"a"'); // cut short
  const warn = t.mock.method(console, 'warn', () => {});
  const store = jsonFileStore(file);
  assert.deepEqual(await store.list(), []);
  await store.put(
    { id: 'b', route: 'files', key: 'k', uploadId: 'u', partSize: 5, token: 't', name: 'n', size: 10, type: '', createdAt: 1, updatedAt: 1, parts: [] },
    [],
  );
  const names = await readdir(dir);
  const aside = names.find((n) => n.startsWith('state.json.corrupt-'));
  assert.ok(aside, `kept aside: ${names}`);
  assert.equal(await readFile(path.join(dir, aside), 'utf8'), '{"v":1,"uploads":[{"id":"a"');
  assert.deepEqual(
    (await store.list()).map((r) => r.id),
    ['b'],
  );
  assert.equal(warn.mock.callCount(), 1);
});
