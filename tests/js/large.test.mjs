// Beyond the single-PUT limit: a 6 GiB generated file through the local driver in Node (multipart,
// 768 parts), with the client alone in a child process so its peak RSS can be printed and bounded.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createReadStream, statfsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { fsStore } from 'vs3/node';
import { createHandler, defineRoute, localStorage } from 'vs3/server';
import { generatedSha256 } from './fixtures/generated.mjs';
import { SECRET, serve, tempDir } from './helpers.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const SIZE = Number(process.env.VS3_LARGE_TEST_BYTES ?? 6 * 1024 ** 3);
const free = (() => {
  const s = statfsSync(here);
  return s.bavail * s.bsize;
})();
// Parts on disk, then the assembled object: about twice the size.
const skip = free < 2.2 * SIZE ? `needs ${((2.2 * SIZE) / 2 ** 30).toFixed(1)} GiB free disk` : false;

test(`a ${(SIZE / 2 ** 30).toFixed(1)} GiB upload (over the 5 GiB single-PUT limit) through the local driver; client memory stays bounded`, {
  skip,
  timeout: 900_000,
}, async (t) => {
  const dir = await tempDir(t);
  const handler = createHandler({
    secret: SECRET,
    storage: localStorage({ store: fsStore(dir), secret: SECRET }),
    routes: { files: defineRoute({ maxFileSize: '8GiB' }) },
  });
  const srv = await serve(handler);
  t.after(() => srv.close());
  const expected = generatedSha256(SIZE);
  const { stdout } = await promisify(execFile)(process.execPath, [path.join(here, 'fixtures/upload-child.mjs'), `${srv.url}/api/vs3`, String(SIZE)], {
    maxBuffer: 1 << 20,
    timeout: 840_000,
  }); // killed, not left running, if it hangs
  const out = JSON.parse(stdout.trim().split('\n').at(-1));
  assert.ok(!out.error, JSON.stringify(out.error));
  console.log(
    `# ${(SIZE / 2 ** 30).toFixed(1)} GiB: ${(out.ms / 1000).toFixed(1)} s (${(SIZE / 1e6 / (out.ms / 1000)).toFixed(0)} MB/s incl. the local driver on the same 2 cores); client peak RSS ${out.maxRssMiB.toFixed(0)} MiB`,
  );
  assert.equal(out.result.size, SIZE);
  assert.equal(out.result.sha256, expected, 'the engine hashed every byte once, in order');
  // The bytes on disk, read back independently.
  const h = createHash('sha256');
  let n = 0;
  for await (const c of createReadStream(path.join(dir, 'objects', out.result.key))) {
    h.update(c);
    n += c.length;
  }
  assert.equal(n, SIZE);
  assert.equal(h.digest('hex'), expected);
  // Not a timing: a guard against reading the file whole (6 GiB) or buffering parts without bound.
  assert.ok(out.maxRssMiB < 400, `client peak RSS ${out.maxRssMiB.toFixed(0)} MiB`);
});
