// Presign throughput, side by side in one process, alternating rounds:
//   vs3 handler POST /presign end to end (JSON in, route checks, token HMAC, SigV4 query signing, JSON out)
//   @aws-sdk/s3-request-presigner getSignedUrl alone (a PutObjectCommand with length and type)
//   vs3 handler POST /multipart/sign, 100 part URLs per call (each with its CRC32C signed in)
// No network: the S3 driver signs locally; multipart create is answered by a stub upload id.
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { createHandler, defineRoute, s3Storage } from 'vs3/server';

const N = Number(process.env.VS3_BENCH_PRESIGN_N ?? 4000);
const ROUNDS = Number(process.env.VS3_BENCH_PRESIGN_ROUNDS ?? 5);
const CONC = Number(process.env.VS3_BENCH_PRESIGN_CONCURRENCY ?? 16);
const creds = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const endpoint = 'https://s3.us-east-1.amazonaws.com';

const s3 = s3Storage({ endpoint, bucket: 'bench', region: 'us-east-1', ...creds });
const storage = { ...s3, createMultipart: async () => ({ uploadId: 'bench-upload-id' }) };
const handler = createHandler({
  secret: 'bench-secret-0123456789abcdef0123456789',
  storage,
  routes: { files: defineRoute({ maxFileSize: '6TiB', requireChecksum: false }) },
});
const post = (path, body) =>
  handler(
    new Request(`http://bench.local/api/vs3${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(JSON.stringify(body))) },
      body: JSON.stringify(body),
    }),
  );

const client = new S3Client({ region: 'us-east-1', endpoint, credentials: creds, forcePathStyle: true });

async function vs3Presign(i) {
  const res = await post('/presign', { route: 'files', file: { name: `photo-${i}.jpg`, size: 1_000_000 + i, type: 'image/jpeg' } });
  const { upload } = await res.json();
  if (!upload?.url?.includes('X-Amz-Signature=')) throw new Error(`vs3 presign failed: ${res.status}`);
}
async function awsPresign(i) {
  const url = await getSignedUrl(
    client,
    new PutObjectCommand({ Bucket: 'bench', Key: `files/${i}/photo-${i}.jpg`, ContentLength: 1_000_000 + i, ContentType: 'image/jpeg' }),
    { expiresIn: 600 },
  );
  if (!url.includes('X-Amz-Signature=')) throw new Error('aws presign failed');
}

const createdRes = await post('/multipart/create', {
  route: 'files',
  file: { name: 'big.bin', size: 5 * 1024 ** 4, type: 'application/octet-stream' },
  partSize: 1024 ** 3,
});
const created = await createdRes.json();
if (!created.token) throw new Error(`multipart create failed: ${JSON.stringify(created)}`);
const crc = 'AAAAAA==';
async function vs3SignParts(i) {
  const parts = Array.from({ length: 100 }, (_, k) => ({ partNumber: ((i * 100 + k) % 5000) + 1, crc32c: crc }));
  const res = await post('/multipart/sign', { token: created.token, parts });
  const body = await res.json();
  if (body.parts?.length !== 100) throw new Error(`sign failed: ${res.status} ${JSON.stringify(body).slice(0, 200)}`);
}

// `conc` callers at once, as a server sees them (WebCrypto runs on libuv's thread pool: one caller
// at a time leaves the main thread idle about half the time; the SDK signs synchronously).
async function rate(fn, n, conc = CONC) {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  return (n * 1000) / (performance.now() - t0);
}

// Warm up (JIT, key caches), then alternate.
await rate(vs3Presign, 300);
await rate(awsPresign, 300);
await rate(vs3SignParts, 5);
const results = { vs3: [], aws: [], parts: [], vs3seq: [], awsseq: [] };
for (let r = 0; r < ROUNDS; r++) {
  results.vs3.push(await rate(vs3Presign, N));
  results.aws.push(await rate(awsPresign, N));
  results.parts.push((await rate(vs3SignParts, N / 40)) * 100);
  results.vs3seq.push(await rate(vs3Presign, N / 4, 1));
  results.awsseq.push(await rate(awsPresign, N / 4, 1));
}
const med = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
const fmt = (a) => `best ${Math.round(Math.max(...a)).toLocaleString('en')}/s, median ${Math.round(med(a)).toLocaleString('en')}/s`;
console.log(`presign (${N} URLs x ${ROUNDS} rounds, alternating, one process, no network, ${CONC} callers at once):`);
console.log(`  vs3 handler POST /presign end to end:           ${fmt(results.vs3)}`);
console.log(`  @aws-sdk getSignedUrl alone (anchor):            ${fmt(results.aws)}`);
console.log(`  vs3 POST /multipart/sign, part URLs (100/call):  ${fmt(results.parts)}`);
console.log(`  one caller at a time: vs3 /presign ${fmt(results.vs3seq)}; getSignedUrl ${fmt(results.awsseq)}`);
const ratio = med(results.vs3) / med(results.aws);
console.log(`  vs3 / anchor (median): ${ratio.toFixed(2)}x (target >= 1.0); part URLs target >= 10,000/s: ${med(results.parts) >= 10_000 ? 'met' : 'MISSED'}`);
