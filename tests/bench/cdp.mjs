// Minimal Chrome DevTools Protocol client over --remote-debugging-pipe, for the upload benchmark.
// Why not Playwright's page: it enables the Network domain on every page it drives, and DevTools
// network instrumentation slows in-memory request bodies (XHR/fetch of a Uint8Array) many times over.
// Here only Target/Runtime/HeapProfiler are used, and we own the browser process (its PID, for RSS).
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CHROMIUM_ARGS } from '../../e2e/browser.mjs';

/**
 * Starts Chromium (Debian's, as the e2e suites use) with a fresh on-disk profile (not incognito, so
 * the origin private file system and blob storage are disk-backed as for a real user) opened at url.
 * Resolves with { pid, version, send(method, params, sessionId), attachPage(), close() }.
 */
export async function launch(url) {
  const profile = await mkdtemp(path.join(tmpdir(), 'vs3-bench-chromium-'));
  const exe = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  const args = [
    ...CHROMIUM_ARGS,
    `--user-data-dir=${profile}`,
    '--remote-debugging-pipe',
    '--no-default-browser-check',
    '--disable-background-timer-throttling',
    '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows',
    url,
  ];
  const child = spawn(exe, args, { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr = (stderr + d).slice(-4000)));
  const toBrowser = child.stdio[3];
  const fromBrowser = child.stdio[4];
  let nextId = 1;
  const pending = new Map();
  let buf = '';
  fromBrowser.on('data', (d) => {
    buf += d.toString('utf8');
    let i;
    while ((i = buf.indexOf('\0')) >= 0) {
      const msg = JSON.parse(buf.slice(0, i));
      buf = buf.slice(i + 1);
      const p = msg.id !== undefined && pending.get(msg.id);
      if (!p) continue;
      pending.delete(msg.id);
      if (msg.error) p.reject(new Error(`${p.method}: ${msg.error.message}${msg.error.data ? ` (${msg.error.data})` : ''}`));
      else p.resolve(msg.result);
    }
  });
  const exited = new Promise((r) => child.once('exit', r));
  exited.then(() => {
    for (const p of pending.values()) p.reject(new Error(`chromium exited\n${stderr}`));
    pending.clear();
  });
  const send = (method, params = {}, sessionId) =>
    new Promise((resolve, reject) => {
      const id = nextId++;
      pending.set(id, { resolve, reject, method });
      toBrowser.write(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }) + '\0');
    });
  const version = (await send('Browser.getVersion')).product;
  return {
    pid: child.pid,
    version,
    send,
    /** Attaches to the page opened at start; returns its sessionId. */
    async attachPage() {
      for (let i = 0; i < 100; i++) {
        const { targetInfos } = await send('Target.getTargets');
        const t = targetInfos.find((t) => t.type === 'page' && t.url.startsWith(url));
        if (t) return (await send('Target.attachToTarget', { targetId: t.targetId, flatten: true })).sessionId;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`no page at ${url}`);
    },
    async close() {
      try {
        await Promise.race([send('Browser.close'), new Promise((r) => setTimeout(r, 3000))]);
      } catch {
        /* already gone */
      }
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
      await rm(profile, { recursive: true, force: true });
    },
  };
}

/** Runtime.evaluate of an async expression in the page; returns its (JSON) value or throws. */
export async function evaluate(cdp, sessionId, expression) {
  const r = await cdp.send('Runtime.evaluate', { expression, awaitPromise: true, returnByValue: true }, sessionId);
  if (r.exceptionDetails) {
    const ex = r.exceptionDetails;
    throw new Error(`page: ${ex.exception?.description ?? ex.text}`);
  }
  return r.result.value;
}

/**
 * Attaches to the bench page and waits until it sets `window.benchReady` (at most ~15 s; throws with
 * the page's HTML otherwise), then 300 ms more for its marker worker's thread. Returns the session.
 */
export async function attachBenchPage(cdp) {
  const session = await cdp.attachPage();
  for (let i = 0; ; i++) {
    if (await evaluate(cdp, session, 'window.benchReady === true')) break;
    if (i > 150) throw new Error(`bench page did not load: ${await evaluate(cdp, session, 'document.documentElement.outerHTML')}`);
    await sleep(100);
  }
  await sleep(300); // the marker worker's thread
  return session;
}

/** A renderer's RSS once settled: a forced GC in the page, 500 ms, then the median of 5 samples 60 ms apart. */
export async function settledRss(cdp, sessionId, pid) {
  await cdp.send('HeapProfiler.collectGarbage', {}, sessionId);
  await sleep(500);
  const s = [];
  for (let i = 0; i < 5; i++) s.push(rssBytes(pid)), await sleep(60);
  return s.sort((a, b) => a - b)[2];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- process memory (Linux /proc)

function readProc(pid, file) {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return null;
  }
}

/** PIDs of all descendants of pid (renderers are children of Chromium's zygote, not of the browser). */
export function descendants(pid) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const stat = readProc(d, 'stat');
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(d));
  }
  const out = [];
  const stack = [pid];
  while (stack.length) {
    for (const c of children.get(stack.pop()) ?? []) out.push(c), stack.push(c);
  }
  return out;
}

const threadNames = (pid) => {
  try {
    return readdirSync(`/proc/${pid}/task`).map((t) => (readProc(pid, `task/${t}/comm`) ?? '').trim());
  } catch {
    return [];
  }
};

/**
 * The renderer process of the page: among the browser's renderer processes, the one running a
 * dedicated worker (the bench page starts an idle one on load for this), else the largest.
 */
export function findRenderer(browserPid) {
  const renderers = descendants(browserPid).filter((p) => (readProc(p, 'cmdline') ?? '').includes('--type=renderer'));
  if (!renderers.length) throw new Error('no renderer process found');
  const withWorker = renderers.filter((p) => threadNames(p).some((n) => n.startsWith('DedicatedWorker')));
  if (withWorker.length === 1) return { pid: withWorker[0], renderers: renderers.length, how: 'worker thread' };
  const pool = withWorker.length ? withWorker : renderers;
  pool.sort((a, b) => rssBytes(b) - rssBytes(a));
  return { pid: pool[0], renderers: renderers.length, how: 'largest RSS' };
}

/** Resident set size of a process in bytes (VmRSS), 0 if it is gone. */
export function rssBytes(pid) {
  const m = /VmRSS:\s+(\d+) kB/.exec(readProc(pid, 'status') ?? '');
  return m ? Number(m[1]) * 1024 : 0;
}

/** Samples a process's RSS every intervalMs until stop(); stop() returns { peak, samples }. */
export function sampleRss(pid, intervalMs = 50) {
  let peak = rssBytes(pid);
  let samples = 1;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssBytes(pid));
    samples++;
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, rssBytes(pid));
      return { peak, samples: samples + 1 };
    },
  };
}

/** CPU time (user + system) a process has used so far, in seconds; 0 if it is gone. */
export function cpuSeconds(pid) {
  const stat = readProc(pid, 'stat');
  if (!stat) return 0;
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in USER_HZ (100 on Linux)
}
