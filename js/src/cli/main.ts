#!/usr/bin/env node
// The vs3 command line: uploads files through a vs3 handler with the same engine and WASM core as
// the browser (createNodeQueue: parts re-read from disk, bounded memory, retries, resume state), and
// lists what an endpoint accepts.
//   vs3 upload <files...> --endpoint <url> --route <name> [--metadata <json>] [--header 'K: V']...
//              [--parallel <n>] [--state <file>] [--retry-budget <s>] [--json]
//   vs3 routes --endpoint <url> [--json]
// Exit codes: 0 all stored; 2 usage; 3 refused by the server (route rules, authorization, content);
// 4 network or storage failures (retries exhausted); 5 local file problems (missing, unreadable,
// changed while uploading); 130 interrupted (Ctrl-C: unfinished uploads resume on the next run).
import { realpathSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import cliProgress from 'cli-progress';
import { Vs3Error } from '../errors.js';
import { createNodeQueue, fileSource } from '../node/index.js';

/** Exit codes, one per failure class (the worst class among the files wins: 5, then 3, then 4). */
export const EXIT = { ok: 0, usage: 2, refused: 3, network: 4, local: 5, interrupted: 130 } as const;

const USAGE = `usage:
  vs3 upload <files...> --endpoint <url> --route <name> [--metadata <json>] [--header 'Name: value']...
             [--parallel <files at once, default 4>] [--state <resume file, default .vs3-state.json>]
             [--retry-budget <seconds a file keeps retrying, default 120>] [--json]
  vs3 routes --endpoint <url> [--json]

exit codes: 0 stored, 2 usage, 3 refused by the server, 4 network/storage, 5 local file, 130 interrupted`;

class UsageError extends Error {}

/** Which class of failure a file's error is (see EXIT). */
export function failureClass(e: unknown): 'refused' | 'network' | 'local' {
  const code = e instanceof Vs3Error ? e.code : ((e as NodeJS.ErrnoException)?.code ?? '');
  if (['read_failed', 'file_changed', 'file_mismatch', 'ENOENT', 'EACCES', 'EISDIR'].includes(code)) return 'local';
  if (['network_error', 'retry_exhausted', 'request_stalled', 'storage_error', 'upload_failed', 'offline', 'too_busy', 'internal_error'].includes(code))
    return 'network';
  const status = e instanceof Vs3Error ? e.status : 0;
  return status >= 400 && status < 500 ? 'refused' : 'network';
}

function headersFrom(list: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const h of list) {
    const i = h.indexOf(':');
    if (i < 1) throw new UsageError(`--header must be "Name: value", got ${JSON.stringify(h)}`);
    out[h.slice(0, i).trim()] = h.slice(i + 1).trim();
  }
  return out;
}

const fmt = (n: number) =>
  n >= 1 << 30 ? `${(n / (1 << 30)).toFixed(2)} GiB` : n >= 1 << 20 ? `${(n / (1 << 20)).toFixed(1)} MiB` : `${(n / 1024).toFixed(1)} KiB`;

async function routes(endpoint: string, json: boolean, headers: Record<string, string>): Promise<number> {
  let res: Response;
  try {
    res = await fetch(`${endpoint.replace(/\/+$/, '')}/routes`, { headers });
  } catch (e) {
    console.error(`vs3: ${endpoint} could not be reached: ${(e as Error).message}`);
    return EXIT.network;
  }
  if (!res.ok) {
    console.error(`vs3: ${endpoint}/routes answered ${res.status}`);
    return res.status >= 500 ? EXIT.network : EXIT.refused;
  }
  const body = (await res.json()) as { routes: Record<string, { maxFileSize: number; allowedFileTypes: string[]; metadata: boolean }> };
  if (json) {
    console.log(JSON.stringify(body.routes));
    return EXIT.ok;
  }
  for (const [name, r] of Object.entries(body.routes)) {
    console.log(
      `${name}\tup to ${fmt(r.maxFileSize)}\t${r.allowedFileTypes.length ? r.allowedFileTypes.join(', ') : 'any type'}${r.metadata ? '\tmetadata' : ''}`,
    );
  }
  return EXIT.ok;
}

async function upload(
  files: string[],
  o: {
    endpoint: string;
    route: string;
    metadata: unknown;
    headers: Record<string, string>;
    parallel: number;
    state: string;
    retryBudgetMs: number;
    json: boolean;
  },
): Promise<number> {
  const queue = createNodeQueue({
    endpoint: o.endpoint,
    resumeState: o.state,
    maxActiveFiles: o.parallel,
    headers: o.headers,
    retry: { timeBudgetMs: o.retryBudgetMs },
  });
  const bars =
    !o.json && process.stderr.isTTY
      ? new cliProgress.MultiBar(
          { format: ' {bar} {percentage}% | {name} | {state}', hideCursor: true, clearOnComplete: false },
          cliProgress.Presets.shades_classic,
        )
      : null;
  const failures: ('refused' | 'network' | 'local')[] = [];
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
    bars?.stop();
    console.error('\nvs3: interrupted; run the same command again to resume');
    queue.dispose(); // writes resume state (the next run picks the uploads up) and ends every upload
  };
  process.once('SIGINT', onSigint);
  const jobs = files.map(async (file) => {
    const name = path.basename(file);
    let src: Awaited<ReturnType<typeof fileSource>> | undefined;
    try {
      if (!(await stat(file)).isFile()) throw Object.assign(new Error(`${file} is not a file`), { code: 'EISDIR' });
      src = await fileSource(file);
      const h = queue.add(src, { route: o.route, ...(o.metadata === undefined ? {} : { metadata: o.metadata }) });
      const bar = bars?.create(100, 0, { name, state: 'queued' });
      const off = bar
        ? queue.on('progress', () => {
            const s = queue.getSnapshot().files.find((f) => f.id === h.id);
            if (s) bar.update(Math.floor(s.progress * 100), { name, state: s.resumed ? `${s.state} (resumed)` : s.state });
          })
        : () => {};
      try {
        const r = await h.promise;
        bar?.update(100, { name, state: r.deduplicated ? 'stored already' : 'stored' });
        const snap = queue.getSnapshot().files.find((f) => f.id === h.id);
        if (o.json) {
          console.log(
            JSON.stringify({
              file,
              ok: true,
              key: r.key,
              size: r.size,
              sha256: r.sha256,
              verified: r.verified ?? false,
              deduplicated: Boolean(r.deduplicated),
              resumed: Boolean(snap?.resumed),
              bytesReused: snap?.bytesReused ?? 0,
            }),
          );
        } else if (!bars) {
          console.log(`stored ${file} -> ${r.key}${snap?.resumed ? ` (resumed: ${fmt(snap.bytesReused)} already stored)` : ''}`);
        }
      } finally {
        off();
      }
    } catch (e) {
      if (interrupted) return;
      const cls = failureClass(e);
      failures.push(cls);
      const code = e instanceof Vs3Error ? e.code : ((e as NodeJS.ErrnoException).code ?? 'error');
      if (o.json) console.log(JSON.stringify({ file, ok: false, class: cls, code, message: (e as Error).message }));
      else console.error(`vs3: ${file}: ${(e as Error).message} (${code})`);
    } finally {
      await src?.close().catch(() => {});
    }
  });
  await Promise.all(jobs);
  bars?.stop();
  process.off('SIGINT', onSigint);
  queue.dispose();
  if (interrupted) {
    // The state file is written asynchronously: give it a moment before the process ends.
    await new Promise((r) => setTimeout(r, 500));
    return EXIT.interrupted;
  }
  if (failures.includes('local')) return EXIT.local;
  if (failures.includes('refused')) return EXIT.refused;
  if (failures.length) return EXIT.network;
  return EXIT.ok;
}

/** Runs the CLI with these arguments; resolves with the exit code. */
export async function main(argv: string[]): Promise<number> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        endpoint: { type: 'string' },
        route: { type: 'string' },
        metadata: { type: 'string' },
        header: { type: 'string', multiple: true },
        parallel: { type: 'string' },
        state: { type: 'string' },
        'retry-budget': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [command, ...files] = positionals;
    if (values.help || !command) {
      console.log(USAGE);
      return values.help ? EXIT.ok : EXIT.usage;
    }
    if (!values.endpoint) throw new UsageError('--endpoint is required');
    const headers = headersFrom(values.header ?? []);
    if (command === 'routes') return await routes(values.endpoint, Boolean(values.json), headers);
    if (command !== 'upload') throw new UsageError(`unknown command ${JSON.stringify(command)}`);
    if (!values.route) throw new UsageError('--route is required');
    if (!files.length) throw new UsageError('no files to upload');
    let metadata: unknown;
    if (values.metadata !== undefined) {
      try {
        metadata = JSON.parse(values.metadata);
      } catch {
        throw new UsageError('--metadata must be JSON');
      }
    }
    const parallel = values.parallel === undefined ? 4 : Number(values.parallel);
    if (!Number.isInteger(parallel) || parallel < 1) throw new UsageError('--parallel must be a positive integer');
    const budget = values['retry-budget'] === undefined ? 120 : Number(values['retry-budget']);
    if (!(budget > 0)) throw new UsageError('--retry-budget must be a number of seconds > 0');
    return await upload(files, {
      retryBudgetMs: budget * 1000,
      endpoint: values.endpoint,
      route: values.route,
      metadata,
      headers,
      parallel,
      state: path.resolve(values.state ?? '.vs3-state.json'),
      json: Boolean(values.json),
    });
  } catch (e) {
    if (e instanceof UsageError || (e as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
      console.error(`vs3: ${(e as Error).message}\n\n${USAGE}`);
      return EXIT.usage;
    }
    throw e;
  }
}

// Run as a program (the package's bin), not when imported.
// (npm's bin is a symlink: compare real paths.)
if (process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      console.error('vs3:', e);
      process.exit(1);
    },
  );
}
