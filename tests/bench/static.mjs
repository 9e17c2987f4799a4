// Static files for the browser benchmarks' servers: the content types they serve, and the file a
// URL path names under a list of [prefix, directory] mounts (never outside its directory).
import { statSync } from 'node:fs';
import path from 'node:path';

export const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
};

/** The file `pathname` names under the first mount whose prefix it starts with, or null. */
export function fileUnder(mounts, pathname) {
  for (const [prefix, dir] of mounts) {
    if (!pathname.startsWith(prefix)) continue;
    const file = path.resolve(dir, decodeURIComponent(pathname.slice(prefix.length)));
    if (!file.startsWith(dir)) return null;
    try {
      return statSync(file).isFile() ? file : null;
    } catch {
      return null;
    }
  }
  return null;
}
