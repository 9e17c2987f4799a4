// Disk BlobStore for the local driver: <dir>/objects/<key> holds the bytes, <dir>/meta/<key>.json
// what was signed. Writes go to <dir>/tmp first and are renamed in only once length and SHA-256 match.
// Multipart uploads live in <dir>/uploads/<uploadId>/ (upload.json, <n>.part, <n>.json), outside
// objects/ and meta/, so a part is never an object; parts are renamed in once length and CRC32C match.
import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { Readable } from 'node:stream';
import { Vs3Error } from '../errors.js';
import { alreadyStored, isUploadId, readExactly, readVerifiedPart, type BlobStore, type StoredUpload } from '../server/local.js';
import type { StoredObject, StoredPart } from '../server/storage.js';
import { validateKey } from '../server/routes.js';

/**
 * A BlobStore on disk for localStorage(): objects under `dir`/objects with their metadata in `dir`/meta,
 * written through `dir`/tmp and renamed in only once length and SHA-256 (parts: CRC32C) match; create-only
 * puts use link(), so an existing object is never replaced.
 */
export function fsStore(dir: string): BlobStore {
  const root = path.resolve(dir);
  const objects = path.join(root, 'objects');
  const meta = path.join(root, 'meta');
  const tmp = path.join(root, 'tmp');
  const uploads = path.join(root, 'uploads');

  const uploadDir = (uploadId: string) => {
    if (!isUploadId(uploadId)) throw new Vs3Error('upload_not_found', 'no such multipart upload', 404);
    return path.join(uploads, uploadId);
  };
  const isMissing = (e: unknown) => ['ENOENT', 'ENOTDIR'].includes((e as NodeJS.ErrnoException).code ?? '');
  /**
   * A key the file system cannot hold as an object next to the others: a name too long, or one
   * object's path running through another's ("d" and "d/n.txt"). Nothing is stored under such a key.
   */
  const isUnstorable = (e: unknown) => ['ENAMETOOLONG', 'EISDIR', 'ENOTDIR', 'EEXIST'].includes((e as NodeJS.ErrnoException).code ?? '');

  /** A small JSON file, or null when there is none (also: a directory or a name too long there). */
  async function readJson<T>(p: string): Promise<T | null> {
    try {
      return JSON.parse(await fs.readFile(p, 'utf8')) as T;
    } catch (e) {
      if (isMissing(e) || ['EISDIR', 'ENAMETOOLONG'].includes((e as NodeJS.ErrnoException).code ?? '')) return null;
      throw e;
    }
  }

  /** Writes a small file so that readers see the old or the new content, never half of it. */
  async function writeAtomic(p: string, data: string) {
    await fs.mkdir(tmp, { recursive: true });
    const t = path.join(tmp, randomUUID());
    await fs.writeFile(t, data);
    await fs.rename(t, p);
  }

  function inside(base: string, key: string, suffix = ''): string {
    validateKey(key);
    const p = path.resolve(base, key + suffix);
    if (!p.startsWith(base + path.sep)) throw new Vs3Error('not_found', 'no such object', 404);
    return p;
  }

  const readMeta = async (key: string) => readJson<StoredObject>(inside(meta, key, '.json'));

  return {
    async createMultipart(key, contentType) {
      validateKey(key);
      const info: StoredUpload = { key, uploadId: randomUUID(), contentType, initiated: new Date().toISOString() };
      await fs.mkdir(uploadDir(info.uploadId), { recursive: true });
      await writeAtomic(path.join(uploadDir(info.uploadId), 'upload.json'), JSON.stringify(info));
      return info;
    },

    async getMultipart(uploadId) {
      return isUploadId(uploadId) ? readJson<StoredUpload>(path.join(uploadDir(uploadId), 'upload.json')) : null;
    },

    async putPart(uploadId, partNumber, body, m) {
      const dir = uploadDir(uploadId);
      if (!Number.isSafeInteger(partNumber) || partNumber < 1) throw new Vs3Error('invalid_request', 'bad part number');
      if (!(await readJson(path.join(dir, 'upload.json')))) throw new Vs3Error('upload_not_found', 'no such multipart upload', 404);
      await fs.mkdir(tmp, { recursive: true });
      const tmpPath = path.join(tmp, randomUUID());
      const fh = await fs.open(tmpPath, 'wx');
      let closed = false;
      try {
        const etag = await readVerifiedPart(body, m, (chunk) => fh.write(chunk));
        await fh.sync();
        await fh.close();
        closed = true;
        const info: StoredPart = { partNumber, size: m.size, etag, crc32c: m.crc32c };
        // Aborted meanwhile: the directory is gone and the rename fails; nothing is kept.
        await fs.rename(tmpPath, path.join(dir, `${partNumber}.part`));
        await writeAtomic(path.join(dir, `${partNumber}.json`), JSON.stringify(info));
        return info;
      } catch (e) {
        await fs.rm(tmpPath, { force: true });
        if (e instanceof Vs3Error) throw e;
        if (isMissing(e)) throw new Vs3Error('upload_not_found', 'multipart upload was completed or aborted meanwhile', 404);
        throw new Vs3Error('upload_failed', `part body could not be read: ${(e as Error).message}`, 400);
      } finally {
        if (!closed) await fh.close().catch(() => {});
      }
    },

    async listParts(uploadId) {
      if (!isUploadId(uploadId)) return null;
      const dir = uploadDir(uploadId);
      let names: string[];
      try {
        names = await fs.readdir(dir);
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
      const parts: StoredPart[] = [];
      for (const n of names) {
        if (!/^\d+\.json$/.test(n)) continue;
        const p = await readJson<StoredPart>(path.join(dir, n));
        if (p) parts.push(p);
      }
      return parts.sort((a, b) => a.partNumber - b.partNumber);
    },

    async getPart(uploadId, partNumber) {
      if (!isUploadId(uploadId) || !Number.isSafeInteger(partNumber)) return null;
      try {
        // Opened now, so a part deleted after this point still reads to the end (POSIX unlink semantics).
        const fh = await fs.open(path.join(uploadDir(uploadId), `${partNumber}.part`), 'r');
        return Readable.toWeb(fh.createReadStream()) as ReadableStream<Uint8Array>;
      } catch (e) {
        if (isMissing(e)) return null;
        throw e;
      }
    },

    async deleteMultipart(uploadId) {
      if (!isUploadId(uploadId)) return false;
      const dir = uploadDir(uploadId);
      // Rename first: a concurrent putPart can no longer land a part in a half-deleted upload.
      const gone = path.join(tmp, `deleted-${randomUUID()}`);
      await fs.mkdir(tmp, { recursive: true });
      try {
        await fs.rename(dir, gone);
      } catch (e) {
        if (isMissing(e)) return false;
        throw e;
      }
      await fs.rm(gone, { recursive: true, force: true });
      return true;
    },

    async listMultipartUploads(prefix = '') {
      let names: string[];
      try {
        names = await fs.readdir(uploads);
      } catch (e) {
        if (isMissing(e)) return [];
        throw e;
      }
      const out: StoredUpload[] = [];
      for (const n of names) {
        const u = isUploadId(n) ? await readJson<StoredUpload>(path.join(uploads, n, 'upload.json')) : null;
        if (u?.key.startsWith(prefix)) out.push(u);
      }
      return out;
    },

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
        const info: StoredObject = {
          key,
          size: m.size,
          contentType: m.contentType,
          sha256,
          lastModified: new Date().toUTCString(),
          ...(m.upload ? { upload: m.upload } : {}),
        };
        await fs.mkdir(path.dirname(dest), { recursive: true });
        await fs.mkdir(path.dirname(metaPath), { recursive: true });
        if (m.ifNoneMatch) {
          // Create, never replace: link() fails if the object exists, atomically (two PUTs racing
          // for one key: one wins, the other gets already_stored).
          try {
            await fs.link(tmpPath, dest);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw alreadyStored();
            throw e;
          }
          await fs.rm(tmpPath, { force: true });
        } else {
          await fs.rename(tmpPath, dest);
        }
        await fs.writeFile(metaPath, JSON.stringify(info));
        ok = true;
        return info;
      } catch (e) {
        if (e instanceof Vs3Error) throw e;
        if (isUnstorable(e)) throw new Vs3Error('invalid_key', 'this key cannot be stored: it is too long or runs through another object', 400);
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

    async delete(key) {
      // Meta first: the object stops existing for head/get/list before its bytes go.
      await fs.rm(inside(meta, key, '.json'), { force: true });
      await fs.rm(inside(objects, key), { force: true });
    },

    async get(key) {
      const info = await readMeta(key);
      if (!info) return null;
      const stream = Readable.toWeb(createReadStream(inside(objects, key))) as ReadableStream<Uint8Array>;
      return { body: stream, info };
    },

    async list({ prefix = '', limit = 1000 } = {}) {
      const out: StoredObject[] = [];
      async function walk(d: string): Promise<void> {
        let entries: import('node:fs').Dirent[];
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
