// Route rules on the client: what `GET {endpoint}/routes` publishes (size limits, accepted types),
// fetched once per endpoint and used to check files before anything is sent and to fill `accept`.
// The server checks everything again; this only spares the user a round trip for an obvious refusal.
import { useEffect, useState } from 'react';
import { isActiveType } from 'vs3/client';

/** One route's public rules, as `GET {endpoint}/routes` answers. */
export interface RouteRules {
  /** Largest accepted file, bytes. */
  maxFileSize: number;
  /** Smallest accepted file, bytes. */
  minFileSize: number;
  /** MIME patterns ("image/*") and extensions (".png"); empty: any type. */
  allowedFileTypes: string[];
  /** Whether the route takes metadata. */
  metadata: boolean;
}

/** Why a file was refused before upload (the same codes the server would answer). */
export interface FileRejection {
  /** The file refused. */
  file: File;
  /** file_too_large, file_too_small, invalid_file_type or too_many_files. */
  code: 'file_too_large' | 'file_too_small' | 'invalid_file_type' | 'too_many_files';
  /** Human-readable. */
  message: string;
}

const cache = new Map<string, Promise<Record<string, RouteRules>>>();

/** The rules of every route of an endpoint (fetched once per endpoint; a failed fetch is retried on the next call). */
export function fetchRouteRules(endpoint: string, fetchImpl: typeof fetch = fetch): Promise<Record<string, RouteRules>> {
  let p = cache.get(endpoint);
  if (!p) {
    p = fetchImpl(`${endpoint.replace(/\/+$/, '')}/routes`, { headers: { accept: 'application/json' } }).then(async (res) => {
      if (!res.ok) throw new Error(`vs3: GET ${endpoint}/routes answered ${res.status}`);
      return ((await res.json()) as { routes: Record<string, RouteRules> }).routes;
    });
    p.catch(() => cache.delete(endpoint));
    cache.set(endpoint, p);
  }
  return p;
}

/** A route's rules, once fetched (undefined before, on the server, or when `route` is undefined). */
export function useRouteRules(endpoint: string, route: string | undefined): RouteRules | undefined {
  const [rules, setRules] = useState<RouteRules | undefined>(undefined);
  useEffect(() => {
    setRules(undefined); // another route's rules must not check this route's files
    if (!route) return;
    let live = true;
    fetchRouteRules(endpoint).then(
      (all) => live && setRules(all[route]),
      () => {}, // the server checks anyway
    );
    return () => {
      live = false;
    };
  }, [endpoint, route]);
  return rules;
}

/** The `accept` attribute for a file input from a route's type rules ('' for any type). */
export function acceptOf(types: readonly string[] | undefined): string {
  return (types ?? []).join(',');
}

const extOf = (name: string) => {
  const i = name.lastIndexOf('.');
  return i > 0 ? name.slice(i).toLowerCase() : '';
};

/**
 * Whether a file matches type rules as the server reads them: one of the MIME patterns if any are
 * given, and one of the extensions if any are given.
 */
export function matchesTypes(file: { name: string; type: string }, types: readonly string[]): boolean {
  const mimes = types.filter((t) => !t.startsWith('.')).map((t) => t.toLowerCase());
  const exts = types.filter((t) => t.startsWith('.')).map((t) => t.toLowerCase());
  const type = file.type.toLowerCase();
  // No type from the browser: the server infers one from the extension, so only it can tell.
  // A wildcard never admits a type a browser runs as a page (SVG, HTML, XML, scripts), as on the server.
  const mimeOk = !mimes.length || type === '' || mimes.some((m) => (m.endsWith('/*') ? !isActiveType(type) && type.startsWith(m.slice(0, -1)) : m === type));
  const extOk = !exts.length || exts.includes(extOf(file.name));
  return mimeOk && extOk;
}

/** Checks files against limits; returns those accepted and those refused, with the reason. */
export function checkFiles(
  files: readonly File[],
  limits: { maxFileSize?: number | undefined; minFileSize?: number | undefined; accept?: readonly string[] | undefined; maxFiles?: number | undefined },
): { accepted: File[]; rejected: FileRejection[] } {
  const accepted: File[] = [];
  const rejected: FileRejection[] = [];
  for (const file of files) {
    if (limits.accept?.length && !matchesTypes(file, limits.accept))
      rejected.push({ file, code: 'invalid_file_type', message: `${file.name}: only ${limits.accept.join(', ')}` });
    else if (limits.maxFileSize !== undefined && file.size > limits.maxFileSize)
      rejected.push({ file, code: 'file_too_large', message: `${file.name} is larger than ${formatBytes(limits.maxFileSize)}` });
    else if (limits.minFileSize !== undefined && file.size < limits.minFileSize)
      rejected.push({ file, code: 'file_too_small', message: `${file.name} is smaller than ${formatBytes(limits.minFileSize)}` });
    else if (limits.maxFiles !== undefined && accepted.length >= limits.maxFiles)
      rejected.push({ file, code: 'too_many_files', message: `at most ${limits.maxFiles} file${limits.maxFiles === 1 ? '' : 's'}` });
    else accepted.push(file);
  }
  return { accepted, rejected };
}

/**
 * Bytes as the server's size strings read them: exact binary multiples as KiB/MiB/GiB/TiB ("1GiB" ->
 * "1 GiB"), anything else in powers of 1000 as KB/MB/GB/TB ("100MB" -> "100 MB", 1500 -> "1.5 KB").
 */
export function formatBytes(n: number): string {
  const units = ['KB', 'MB', 'GB', 'TB'];
  for (let k = units.length; k >= 1; k--) {
    const bin = 1024 ** k;
    if (n >= bin && n % bin === 0) return `${n / bin} ${units[k - 1]!.replace('B', 'iB')}`;
  }
  for (let k = units.length; k >= 1; k--) {
    const v = n / 1000 ** k;
    if (v >= 1) return `${Number.isInteger(v) ? v : Number(v.toFixed(1))} ${units[k - 1]}`;
  }
  return `${n} B`;
}
