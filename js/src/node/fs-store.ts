// Disk BlobStore for the local driver: <dir>/objects/<key> holds the bytes, <dir>/meta/<key>.json
// what was signed. Writes go to <dir>/tmp first and are renamed in only once length and SHA-256 match.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Vs3Error } from '../errors.js';
import { readExactly, type BlobStore } from '../server/local.js';
import type { StoredObject } from '../server/storage.js';
import { validateKey } from '../server/routes.js';

export function fsStore(dir: string): BlobStore {
  const root = path.resolve(dir);
  const objects = path.join(root, 'objects');
  const meta = path.join(root, 'meta');
  const tmp = path.join(root, 'tmp');

  function inside(base: string, key: string, suffix = ''): string {
    validateKey(key);
    const p = path.resolve(base, key + suffix);
    if (!p.startsWith(base + path.sep)) throw new Vs3Error('not_found', 'no such object', 404);
    return p;
  }

  async function readMeta(key: string): Promise<StoredObject | null> {
    try {
      return JSON.parse(await fs.readFile(inside(meta, key, '.json'), 'utf8')) as StoredObject;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw e;
    }
  }

  return {
    async put(key, body, m) {
      const dest = inside(objects, key);
      const metaPath = inside(meta, key, '.json');
      await fs.mkdir(tmp, { recursive: true });
      const tmpPath = path.join(tmp, randomUUID());
      const fh = await fs.open(tmpPath, 'wx');
      const hash = createHash('sha256');
      let ok = false;
      try {
        await readExactly(body, m.size, async (chunk) => {
          hash.update(chunk);
          await fh.write(chunk);
        });
        const sha256 = hash.digest('hex');
        if (m.sha256 && m.sha256 !== sha256) throw new Vs3Error('checksum_mismatch', 'body SHA-256 differs from the signed one', 400);
        await fh.sync();
        await fh.close();
        const info: StoredObject = { key, size: m.size, contentType: m.contentType, sha256, lastModified: new Date().toUTCString() };
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await fs.mkdir(path.dirname(metaPath), { recursive: true });
        await fs.rename(tmpPath, dest);
        await fs.writeFile(metaPath, JSON.stringify(info));
        ok = true;
        return info;
      } catch (e) {
        if (e instanceof Vs3Error) throw e;
        // A client that goes away mid-body surfaces here as a stream error: a bad request, not a crash.
        throw new Vs3Error('upload_failed', `upload body could not be read: ${(e as Error).message}`, 400);
      } finally {
        if (!ok) {
          await fh.close().catch(() => {});
          await fs.rm(tmpPath, { force: true });
        }
      }
    },

    head: readMeta,

    async get(key) {
      const info = await readMeta(key);
      if (!info) return null;
      const stream = Readable.toWeb(createReadStream(inside(objects, key))) as ReadableStream<Uint8Array>;
      return { body: stream, info };
    },

    async list({ prefix = '', limit = 1000 } = {}) {
      const out: StoredObject[] = [];
      async function walk(d: string): Promise<void> {
        let entries;
        try {
          entries = await fs.readdir(d, { withFileTypes: true });
        } catch {
          return;
        }
        for (const e of entries) {
          if (out.length >= limit) return;
          const p = path.join(d, e.name);
          if (e.isDirectory()) await walk(p);
          else if (e.name.endsWith('.json')) {
            const info = JSON.parse(await fs.readFile(p, 'utf8')) as StoredObject;
            if (info.key.startsWith(prefix)) out.push(info);
          }
        }
      }
      await walk(meta);
      return out.sort((a, b) => Date.parse(b.lastModified ?? '') - Date.parse(a.lastModified ?? ''));
    },
  };
}
