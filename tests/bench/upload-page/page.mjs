// The upload benchmark's page (driven over CDP by tests/bench/upload.mjs). Everything that runs during
// a measurement is loaded up front — the vs3 client from js/dist (/vs3/, as the demo serves it) and the
// esbuild bundle of @aws-sdk/client-s3 + lib-storage — so the idle memory figure includes the code of
// all three contenders, and each upload is timed here with performance.now().
import { createUploader, workerReader } from '/vs3/client/index.js';
import { S3Client, Upload } from '/bench/aws-sdk.js';

// An idle dedicated worker, so the runner can tell this page's renderer process from any other
// (it looks for a renderer with a DedicatedWorker thread).
const marker = new Worker(URL.createObjectURL(new Blob(['onmessage = () => {}'], { type: 'text/javascript' })));

let file = null;
const FILE_NAME = 'vs3-bench.bin';

/** Random bytes (getRandomValues takes at most 64 KiB per call). */
function randomFill(buf) {
  for (let off = 0; off < buf.length; off += 65536) crypto.getRandomValues(buf.subarray(off, Math.min(buf.length, off + 65536)));
  return buf;
}

/**
 * The file to upload: sizeMiB random MiB written to the origin private file system, then opened as a
 * File — disk-backed like a file the user picked (the bytes are not in the renderer's memory). Falls
 * back to a Blob of random 1 MiB chunks if OPFS is unavailable.
 */
async function makeFile(sizeMiB) {
  const chunk = new Uint8Array(1 << 20);
  try {
    const root = await navigator.storage.getDirectory();
    await root.removeEntry(FILE_NAME).catch(() => {});
    const fh = await root.getFileHandle(FILE_NAME, { create: true });
    const w = await fh.createWritable();
    for (let i = 0; i < sizeMiB; i++) await w.write(randomFill(chunk));
    await w.close();
    file = await fh.getFile();
    return { size: file.size, backing: 'origin private file system (disk)' };
  } catch (e) {
    const parts = [];
    for (let i = 0; i < sizeMiB; i++) parts.push(new Blob([randomFill(chunk)]));
    file = new File(parts, FILE_NAME, { type: 'application/octet-stream' });
    return { size: file.size, backing: `Blob of 1 MiB chunks (OPFS failed: ${e?.message ?? e})` };
  }
}

async function dropFile() {
  file = null;
  const root = await navigator.storage.getDirectory();
  await root.removeEntry(FILE_NAME).catch(() => {});
}

/** Main-thread long tasks (> 50 ms) during fn: total ms and count. */
async function withLongTasks(fn) {
  let ms = 0,
    n = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) (ms += e.duration), n++;
  });
  try {
    obs.observe({ type: 'longtask' });
  } catch {
    /* not supported */
  }
  try {
    const out = await fn();
    await new Promise((r) => setTimeout(r, 0));
    for (const e of obs.takeRecords()) (ms += e.duration), n++;
    return { ...out, longTaskMs: ms, longTasks: n };
  } finally {
    obs.disconnect();
  }
}

function xhrPut(url, body) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('PUT', url);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(`PUT answered ${xhr.status}: ${xhr.responseText.slice(0, 300)}`)));
    xhr.onerror = () => reject(new Error('PUT failed (network)'));
    xhr.send(body);
  });
}

const contenders = {
  /** vs3: the client as an app uses it (module workers read + hash, XHR PUTs, handler on this origin). */
  async vs3({ route, vs3Options }) {
    const up = createUploader({ ...vs3Options, endpoint: '/api/vs3' });
    let hashedAt = 0,
      firstByteAt = 0;
    const t0 = performance.now();
    const off = up.queue.subscribe(() => {
      const f = up.queue.getSnapshot().files[0];
      if (!f) return;
      if (!hashedAt && f.bytesHashed >= f.size) hashedAt = performance.now() - t0;
      if (!firstByteAt && f.bytesUploaded > 0) firstByteAt = performance.now() - t0;
    });
    try {
      const r = await up.upload(file, { route, name: FILE_NAME });
      const ms = performance.now() - t0;
      const c = up.queue.counters();
      return { ms, key: r.key, size: r.size, detail: { hashedAt, firstByteAt, engineMs: c.engineMs, partCount: up.queue.getSnapshot().files[0]?.partCount } };
    } finally {
      off();
      up.dispose();
    }
  },

  /**
   * Diagnostic, not a contender: what vs3 does before the wire alone — every 8 MiB part read from the
   * file and hashed (SHA-256 + CRC32C) in a module worker by the same workerReader, 4 parts in flight.
   */
  async hash() {
    const reader = workerReader();
    const part = 8 << 20;
    const n = Math.ceil(file.size / part);
    const t0 = performance.now();
    try {
      const window = [];
      let sha256 = '';
      for (let i = 0; i < n; i++) {
        window.push(reader.read(1, file, i * part, Math.min(part, file.size - i * part), { verifyOnly: false, last: i === n - 1 }));
        if (window.length >= 4) sha256 = (await window.shift()).sha256 ?? sha256;
      }
      for (const r of await Promise.all(window)) sha256 = r.sha256 ?? sha256;
      return { ms: performance.now() - t0, size: file.size, sha256 };
    } finally {
      reader.dispose();
    }
  },

  /** One presigned PUT of the whole file (URL signed by the server, fetched inside the timing). */
  async raw({ key }) {
    const t0 = performance.now();
    const { url } = await (await fetch(`/bench-api/presign?key=${encodeURIComponent(key)}`)).json();
    await xhrPut(url, file);
    return { ms: performance.now() - t0, key, size: file.size };
  },

  /** @aws-sdk/lib-storage Upload (queueSize 4, its default 5 MiB parts) straight to storage. */
  async sdk({ key, s3, checksum }) {
    const client = new S3Client({
      endpoint: s3.endpoint,
      region: s3.region,
      forcePathStyle: true,
      credentials: { accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey },
      ...(checksum ? { requestChecksumCalculation: checksum } : {}),
    });
    try {
      const t0 = performance.now();
      await new Upload({ client, params: { Bucket: s3.bucket, Key: key, Body: file }, queueSize: 4 }).done();
      return { ms: performance.now() - t0, key, size: file.size };
    } finally {
      client.destroy();
    }
  },
};

window.bench = {
  makeFile,
  dropFile,
  run: (name, opts) => withLongTasks(() => contenders[name](opts)),
};
window.benchReady = true;
void marker;
