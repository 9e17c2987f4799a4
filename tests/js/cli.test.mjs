// Issue 10, the CLI (js/src/cli/main.ts, the package's `vs3` bin) against a handler on Ceph RGW:
// several files at once, one interrupted (the process killed mid-upload) and resumed by running the
// same command again, `vs3 routes`, and the exit code of each failure class.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { open, readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { test } from 'node:test';
import { ensureBucket, nodeListener, s3OptionsFromEnv } from 'vs3/node';
import { createHandler, defineRoute, s3Storage } from 'vs3/server';
import { SECRET, tempDir } from './helpers.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const bin = path.join(root, 'js/dist/cli/main.js');
const bucket = `vs3-cli-${Date.now().toString(36)}`;
const s3opts = process.env.VS3_S3_ENDPOINT ? s3OptionsFromEnv(process.env, bucket) : null;
if (!s3opts && process.env.VS3_REQUIRE_RGW === '1') throw new Error('VS3_S3_ENDPOINT is not set: start RGW with scripts/rgw.sh (scripts/test.sh does)');
const skip = s3opts ? false : 'no S3 endpoint (run through scripts/test.sh)';

/** Runs the CLI; resolves with { code, stdout, stderr, lines (parsed --json lines) }. */
function vs3(args, { cwd, kill } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    kill?.(child);
    child.on('exit', (code, signal) => {
      const lines = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve({ code, signal, stdout, stderr, lines });
    });
  });
}

/** For vs3(..., { kill }): sends `signal` once the resume state file records `parts` stored parts. */
function signalWhenStored(state, parts, signal) {
  return (child) => {
    const timer = setInterval(async () => {
      const text = await readFile(state, 'utf8').catch(() => '');
      if ((text.match(/"etag"/g) ?? []).length >= parts) {
        clearInterval(timer);
        child.kill(signal);
      }
    }, 20);
    child.on('exit', () => clearInterval(timer));
  };
}

async function bigFile(p, size) {
  const fh = await open(p, 'w');
  const h = createHash('sha256');
  for (let done = 0; done < size; ) {
    const chunk = randomBytes(Math.min(4 << 20, size - done));
    h.update(chunk);
    await fh.write(chunk);
    done += chunk.length;
  }
  await fh.close();
  return h.digest('hex');
}

let srv;
let endpoint;
test.before(async () => {
  if (!s3opts) return;
  await ensureBucket(s3opts);
  const handler = createHandler({
    secret: SECRET,
    storage: s3Storage(s3opts),
    routes: {
      files: defineRoute({ maxFileSize: '1GB' }),
      images: defineRoute({ maxFileSize: '1MB', allowedFileTypes: ['image/*'] }),
    },
  });
  srv = http.createServer(nodeListener(handler));
  await new Promise((r) => srv.listen(0, '127.0.0.1', r));
  endpoint = `http://127.0.0.1:${srv.address().port}/api/vs3`;
});
test.after(
  () =>
    srv &&
    new Promise((r) => {
      srv.closeAllConnections();
      srv.close(r);
    }),
);

test('vs3 upload: several files at once, --json results, exit 0; vs3 routes lists the routes', { skip, timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t);
  const files = [];
  for (const [name, size] of [
    ['a.bin', 1000],
    ['b.bin', 3_000_000],
    ['c.bin', 20 * 1024 * 1024 + 7],
  ]) {
    const p = path.join(dir, name);
    files.push({ p, sha: await bigFile(p, size), size });
  }
  const r = await vs3(['upload', ...files.map((f) => f.p), '--endpoint', endpoint, '--route', 'files', '--json'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines.length, 3);
  for (const f of files) {
    const line = r.lines.find((l) => l.file === f.p);
    assert.ok(line?.ok, JSON.stringify(line));
    assert.equal(line.sha256, f.sha);
    assert.equal(line.verified, true, 'RGW: read back by the handler');
  }
  const routes = await vs3(['routes', '--endpoint', endpoint, '--json']);
  assert.equal(routes.code, 0);
  assert.deepEqual(Object.keys(JSON.parse(routes.stdout)).sort(), ['files', 'images']);
});

test('vs3 upload: killed mid-upload, the same command again resumes and sends only what is missing', { skip, timeout: 180_000 }, async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'big.bin');
  const size = 240 * 1024 * 1024;
  const sha = await bigFile(file, size);
  const state = path.join(dir, 'state.json');
  const args = ['upload', file, '--endpoint', endpoint, '--route', 'files', '--state', state, '--json'];
  // Kill it (SIGKILL: no chance to clean up) once the state file records stored parts.
  const first = await vs3(args, {
    cwd: dir,
    kill: signalWhenStored(state, 3, 'SIGKILL'),
  });
  assert.equal(first.signal, 'SIGKILL', `the first run should have been killed mid-upload: ${first.stdout}`);
  const second = await vs3(args, { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  const [line] = second.lines;
  assert.equal(line.sha256, sha);
  assert.equal(line.resumed, true);
  assert.ok(line.bytesReused >= 3 * 8 * 1024 * 1024, `reused ${line.bytesReused} bytes`);
});

test('vs3 exit codes: 3 refused by the route, 5 missing file, 4 unreachable endpoint, 2 usage', { skip, timeout: 120_000 }, async (t) => {
  const dir = await tempDir(t);
  const txt = path.join(dir, 'notes.txt');
  await writeFile(txt, 'hello');
  const refused = await vs3(['upload', txt, '--endpoint', endpoint, '--route', 'images', '--json'], { cwd: dir });
  assert.equal(refused.code, 3, refused.stdout + refused.stderr);
  assert.equal(refused.lines[0].class, 'refused');
  assert.equal(refused.lines[0].code, 'invalid_file_type');
  const missing = await vs3(['upload', path.join(dir, 'nope.bin'), '--endpoint', endpoint, '--route', 'files', '--json'], { cwd: dir });
  assert.equal(missing.code, 5, missing.stdout + missing.stderr);
  const down = await vs3(['upload', txt, '--endpoint', 'http://127.0.0.1:9/api/vs3', '--route', 'files', '--retry-budget', '2', '--json'], { cwd: dir });
  assert.equal(down.code, 4, down.stdout + down.stderr);
  assert.equal((await vs3(['upload', txt, '--route', 'files'], { cwd: dir })).code, 2);
  // Both a refusal and a missing file: the local problem wins.
  const mixed = await vs3(['upload', txt, path.join(dir, 'nope.bin'), '--endpoint', endpoint, '--route', 'images', '--json'], { cwd: dir });
  assert.equal(mixed.code, 5);
});

test('vs3 usage errors are exit 2 with the reason; --help is exit 0', async () => {
  const cases = [
    [['--help'], 0, /usage:/],
    [[], 2, /usage:/],
    [['frobnicate', '--endpoint', 'http://x'], 2, /unknown command/],
    [['upload', 'a', '--endpoint', 'http://x'], 2, /--route is required/],
    [['upload', '--endpoint', 'http://x', '--route', 'r'], 2, /no files/],
    [['upload', 'a', '--endpoint', 'http://x', '--route', 'r', '--metadata', '{nope'], 2, /--metadata must be JSON/],
    [['upload', 'a', '--endpoint', 'http://x', '--route', 'r', '--parallel', '0'], 2, /--parallel/],
    [['upload', 'a', '--endpoint', 'http://x', '--route', 'r', '--retry-budget', '-1'], 2, /--retry-budget/],
    [['upload', 'a', '--endpoint', 'http://x', '--route', 'r', '--header', 'no-colon'], 2, /--header/],
    [['upload', 'a', '--endpoint', 'http://x', '--route', 'r', '--bogus'], 2, /bogus/],
  ];
  for (const [args, code, re] of cases) {
    const r = await vs3(args);
    assert.equal(r.code, code, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stdout + r.stderr, re, args.join(' '));
  }
  const down = await vs3(['routes', '--endpoint', 'http://127.0.0.1:9/api/vs3']);
  assert.equal(down.code, 4);
});

test('vs3 routes prints one line per route; a path that is no vs3 endpoint is exit 3', { skip }, async () => {
  const r = await vs3(['routes', '--endpoint', endpoint, '--header', 'x-request-id: cli-test']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^files\tup to 953\.7 MiB\tany type$/m); // 1GB = 10^9 bytes
  assert.match(r.stdout, /^images\tup to 976\.6 KiB\timage\/\*$/m);
  const wrong = await vs3(['routes', '--endpoint', endpoint.replace('/api/vs3', '/nope')]);
  assert.equal(wrong.code, 3);
});

test('vs3 upload: Ctrl-C (SIGINT) stops with exit 130 and keeps the state; the next run resumes', { skip, timeout: 180_000 }, async (t) => {
  const dir = await tempDir(t);
  const file = path.join(dir, 'big.bin');
  const sha = await bigFile(file, 240 * 1024 * 1024);
  const state = path.join(dir, 'state.json');
  const args = ['upload', file, '--endpoint', endpoint, '--route', 'files', '--state', state];
  const first = await vs3(args, {
    cwd: dir,
    kill: signalWhenStored(state, 2, 'SIGINT'),
  });
  assert.equal(first.code, 130, first.stdout + first.stderr);
  assert.match(first.stderr, /interrupted/);
  const second = await vs3(args, { cwd: dir });
  assert.equal(second.code, 0, second.stderr);
  assert.match(second.stdout, /stored .*big\.bin -> files\/.*\(resumed: [\d.]+ MiB already stored\)/);
  const check = await vs3([...args, '--json'], { cwd: dir });
  assert.equal(check.lines[0].sha256, sha, 'uploaded again from scratch: same content');
});
