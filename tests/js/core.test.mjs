// The C++ core compiled to WebAssembly, loaded as the ES module the browser uses (with wasmBinary in Node).
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { xxhash128 } from 'hash-wasm';
import { CoreHasher, RetryPolicy, hashBlob, planParts } from 'vs3/core';
import { loadCoreNode } from 'vs3/node';

const core = await loadCoreNode();
const sha = (b) => createHash('sha256').update(b).digest('hex');
const hashWith = (alg, ...chunks) => {
  const h = new CoreHasher(core, alg);
  for (const c of chunks) h.update(c);
  const hex = h.digestHex();
  h.dispose();
  return hex;
};
const ascii = (s) => new TextEncoder().encode(s);

test('SHA-256 NIST vectors, including 1,000,000 x "a"', () => {
  assert.equal(hashWith('sha256'), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(hashWith('sha256', ascii('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(
    hashWith('sha256', ascii('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')),
    '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
  );
  assert.equal(hashWith('sha256', new Uint8Array(1_000_000).fill(0x61)), 'cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0');
});

test('SHA-256 one-shot == streaming == byte-at-a-time, random data vs node:crypto', () => {
  for (const size of [0, 1, 55, 56, 63, 64, 65, 1000, 65_537, 1_000_003, 9 * 1024 * 1024 + 5]) {
    const data = randomBytes(size);
    const expected = sha(data);
    assert.equal(hashWith('sha256', data), expected, `one-shot ${size}`);
    const chunks = [];
    for (let off = 0, step = 1; off < size; off += step, step = ((step * 7) % 65_521) + 1) chunks.push(data.subarray(off, off + step));
    assert.equal(hashWith('sha256', ...chunks), expected, `streaming ${size}`);
    if (size <= 65_537) {
      const h = new CoreHasher(core);
      for (let i = 0; i < size; i++) h.update(data.subarray(i, i + 1));
      assert.equal(h.bytesHashed, size);
      assert.equal(h.digestHex(), expected, `byte-at-a-time ${size}`);
      h.dispose();
    }
  }
});

test('hashBlob reads a Blob slice by slice and reports progress', async () => {
  const data = randomBytes(10 * 1024 * 1024 + 3);
  const seen = [];
  const hex = await hashBlob(core, new Blob([data]), { chunkSize: 1 << 20, onProgress: (b) => seen.push(b) });
  assert.equal(hex, sha(data));
  assert.equal(seen.length, 11);
  assert.deepEqual(
    seen,
    [...seen].sort((a, b) => a - b),
  );
  assert.equal(seen.at(-1), data.length);
  const ac = new AbortController();
  ac.abort();
  await assert.rejects(hashBlob(core, new Blob([data]), { signal: ac.signal }), { code: 'aborted' });
});

test('XXH3-128 matches an independent implementation (hash-wasm) and streams', async () => {
  assert.equal(hashWith('xxh3-128'), '99aa06d3014798d86001c324468d497f');
  for (const size of [1, 17, 129, 240, 241, 4096, 1_000_003]) {
    const data = randomBytes(size);
    const expected = await xxhash128(data);
    assert.equal(hashWith('xxh3-128', data), expected, `size ${size}`);
    const mid = Math.floor(size / 3);
    assert.equal(hashWith('xxh3-128', data.subarray(0, mid), data.subarray(mid)), expected, `streamed ${size}`);
  }
});

test('part planner through the WASM boundary', () => {
  const MiB = 1024 * 1024;
  assert.deepEqual(planParts(core, 100 * MiB + 3), {
    objectSize: 100 * MiB + 3,
    partSize: 8 * MiB,
    partCount: 13,
    lastPartSize: 4 * MiB + 3,
    concurrency: 4,
    multipart: true,
  });
  assert.equal(planParts(core, 3).multipart, false);
  const max = 5 * 1024 * MiB * 10000;
  assert.equal(planParts(core, max).partCount, 10000);
  assert.throws(
    () => planParts(core, max + 1),
    (e) => e.code === 'invalid_part_plan' && e.details.reason === 'object_too_large',
  );
  assert.throws(
    () => planParts(core, -1),
    (e) => e.details.reason === 'invalid_argument',
  );
  assert.throws(
    () => planParts(core, 1.5),
    (e) => e.details.reason === 'invalid_argument',
  );
  assert.throws(
    () => planParts(core, 64 * MiB, { preferredPartSize: MiB }),
    (e) => e.details.reason === 'invalid_part_size',
  );
  const budgeted = planParts(core, 1024 * MiB, { memoryBudget: 64 * MiB, maxConcurrency: 4 });
  assert.ok(budgeted.partSize * budgeted.concurrency <= 64 * MiB);
});

test('retry policy: seeded jitter is reproducible, statuses classified, options validated', () => {
  const seq = (seed) => {
    const p = new RetryPolicy(core, { seed, maxAttempts: 10, baseDelayMs: 100, maxDelayMs: 5000 });
    const out = [1, 2, 3, 4, 5].map((a) => p.decide(a, 503).delayMs);
    p.dispose();
    return out;
  };
  assert.deepEqual(seq(42), seq(42));
  assert.notDeepEqual(seq(42), seq(43));
  for (const [i, d] of seq(42).entries()) assert.ok(d >= 0 && d < 100 * 2 ** i, `attempt ${i + 1}: ${d}`);
  const p = new RetryPolicy(core, { seed: 1, maxAttempts: 3 });
  assert.equal(p.decide(1, 403).retry, false);
  assert.equal(p.decide(1, 0).reason, 'network_error');
  assert.equal(p.decide(1, 400, 'RequestTimeout').retry, true);
  assert.equal(p.decide(3, 503).reason, 'attempts_exhausted');
  assert.ok(p.decide(1, 429, '', 1500).delayMs >= 1500);
  p.dispose();
  assert.throws(() => new RetryPolicy(core, { maxAttempts: 0 }), { code: 'invalid_request' });
  assert.throws(() => new RetryPolicy(core, { baseDelayMs: 10, maxDelayMs: 5 }), { code: 'invalid_request' });
});

test('hashBlob refuses a chunk size that would never advance (it looped forever)', async () => {
  const core = await loadCoreNode();
  for (const chunkSize of [0, -1, 0.5, Number.NaN]) {
    await assert.rejects(hashBlob(core, new Blob([new Uint8Array(10)]), { chunkSize }), /chunkSize/);
  }
});
