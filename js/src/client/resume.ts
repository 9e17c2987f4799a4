// Resume state: what the queue records about each unfinished multipart upload so that a reload, a
// crash or another process can finish it — never file content. The queue writes it (create answered,
// part 0 hashed at once; stored parts batched), removes it on success, cancel or failure, and the
// engine (wasm/src/engine) decides what a record is worth: storage is asked again and every kept part
// is re-read and checked against its CRC32C before anything is sent.
//   indexedDbStore()  browsers (the `idb` package); keeps FileSystemFileHandles too
//   memoryResumeStore()  tests; jsonFileStore() in vs3/node for Node processes
import { openDB, type IDBPDatabase } from 'idb';

/** A part storage confirmed, with the CRC32C of the bytes that were sent. */
export interface ResumePart {
  /** 1-based part number. */
  n: number;
  /** CRC32C of the bytes that were sent, unsigned 32-bit. */
  crc32c: number;
  /** The ETag storage answered, when it gave one. */
  etag?: string;
}

/** What the queue keeps about one unfinished multipart upload: never file content. */
export interface ResumeRecord {
  /** The multipart upload id (unique per upload). */
  id: string;
  /** The route it goes through. */
  route: string;
  /** The object key. */
  key: string;
  /** Storage's multipart upload id. */
  uploadId: string;
  /** The server's upload token (renewed by /multipart/resume, even after it expired). */
  token: string;
  /** Bytes per part (the last may be smaller). */
  partSize: number;
  /** File size in bytes. */
  size: number;
  /** The file name. */
  name: string;
  /** The declared Content-Type. */
  type: string;
  /** The metadata sent at create (as JSON). */
  metadata?: unknown;
  /** File.lastModified when the upload began: shown to the user, never trusted to identify the file. */
  lastModified?: number;
  /** SHA-256 of the first part: a picked file whose first part differs is another file. */
  firstPartSha256?: string;
  /** SHA-256 of the whole file, once hashed. */
  sha256?: string;
  /** Parts storage confirmed, ascending (a store's put() adds to them). */
  parts: ResumePart[];
  /** Unix ms. */
  createdAt: number;
  /** Unix ms of the last write. */
  updatedAt: number;
  /** Browsers: the file's handle when it was picked with showOpenFilePicker (or is in OPFS). */
  handle?: FileSystemFileHandle;
  /** Node: the file's path. */
  path?: string;
}

/** Where resume state is kept: indexedDbStore() (browsers), jsonFileStore() (vs3/node), memoryResumeStore(), or your own. */
export interface ResumeStore {
  /** Every record, with its parts. */
  list(): Promise<ResumeRecord[]>;
  /** Creates or updates the record (its `parts` are ignored) and adds `parts` to it. */
  put(record: ResumeRecord, parts: readonly ResumePart[]): Promise<void>;
  /** Removes the record and its parts. */
  delete(id: string): Promise<void>;
  /** Releases what the store holds open (IndexedDB: the database connection). */
  close?(): void;
}

/** A record's parts with `parts` added (a part number written again takes the new entry), ascending. */
export function mergeParts(prev: readonly ResumePart[], parts: readonly ResumePart[]): ResumePart[] {
  const byN = new Map(prev.map((p) => [p.n, p]));
  for (const p of parts) byN.set(p.n, p);
  return [...byN.values()].sort((a, b) => a.n - b.n);
}

/** In memory: for tests, and a stand-in where nothing survives anyway. */
export function memoryResumeStore(): ResumeStore {
  const records = new Map<string, ResumeRecord>();
  return {
    async list() {
      return [...records.values()].map((r) => ({ ...r, parts: [...r.parts] }));
    },
    async put(record, parts) {
      records.set(record.id, { ...record, parts: mergeParts(records.get(record.id)?.parts ?? [], parts) });
    },
    async delete(id) {
      records.delete(id);
    },
  };
}

/**
 * IndexedDB: one `uploads` store (the record) and one `parts` store keyed [uploadId, n], so a batch of
 * stored parts is a few small writes, not the whole record again.
 */
export function indexedDbStore(name = 'vs3-resume'): ResumeStore {
  let dbp: Promise<IDBPDatabase> | null = null;
  const db = () =>
    (dbp ??= openDB(name, 1, {
      upgrade(d) {
        d.createObjectStore('uploads', { keyPath: 'id' });
        d.createObjectStore('parts', { keyPath: ['id', 'n'] });
      },
    }));
  return {
    async list() {
      const d = await db();
      const tx = d.transaction(['uploads', 'parts']);
      const [records, parts] = await Promise.all([tx.objectStore('uploads').getAll(), tx.objectStore('parts').getAll()]);
      const byId = new Map<string, ResumePart[]>();
      for (const p of parts as (ResumePart & { id: string })[]) {
        let list = byId.get(p.id);
        if (!list) byId.set(p.id, (list = []));
        list.push({ n: p.n, crc32c: p.crc32c, ...(p.etag ? { etag: p.etag } : {}) });
      }
      return (records as ResumeRecord[]).map((r) => ({ ...r, parts: (byId.get(r.id) ?? []).sort((a, b) => a.n - b.n) }));
    },
    async put(record, parts) {
      const d = await db();
      const tx = d.transaction(['uploads', 'parts'], 'readwrite');
      const { parts: _omit, ...rest } = record;
      void tx.objectStore('uploads').put(rest);
      const ps = tx.objectStore('parts');
      for (const p of parts) void ps.put({ id: record.id, ...p });
      await tx.done;
    },
    async delete(id) {
      const d = await db();
      const tx = d.transaction(['uploads', 'parts'], 'readwrite');
      void tx.objectStore('uploads').delete(id);
      void tx.objectStore('parts').delete(IDBKeyRange.bound([id, 0], [id, Infinity]));
      await tx.done;
    },
    close() {
      void dbp?.then((d) => d.close());
      dbp = null;
    },
  };
}

/** What restore() shows about an interrupted upload. */
export interface InterruptedUpload {
  /** Pass to UploadQueue.resume / discard / forget. */
  readonly id: string;
  /** The route it goes through. */
  readonly route: string;
  /** The object key. */
  readonly key: string;
  /** The file name. */
  readonly name: string;
  /** File size in bytes. */
  readonly size: number;
  /** The declared Content-Type. */
  readonly type: string;
  /** Parts recorded as stored. */
  readonly partsStored: number;
  /** Parts in all. */
  readonly partCount: number;
  /** Bytes recorded as stored (storage is asked again on resume). */
  readonly bytesStored: number;
  /** Unix ms when the upload began. */
  readonly createdAt: number;
  /** Unix ms of the last recorded progress. */
  readonly updatedAt: number;
  /** File.lastModified (unix ms) when the upload began: for display, never trusted to identify the file. */
  readonly lastModified?: number;
  /** The file can be opened again without asking the user to pick it (after a permission prompt). */
  readonly handle?: FileSystemFileHandle;
  /** Node: the file's path (resume() opens it again). */
  readonly path?: string;
}

export function describeRecord(r: ResumeRecord): InterruptedUpload {
  const partCount = Math.ceil(r.size / r.partSize);
  let bytes = 0;
  for (const p of r.parts) bytes += p.n < partCount ? r.partSize : r.size - (partCount - 1) * r.partSize;
  return Object.freeze({
    id: r.id,
    route: r.route,
    key: r.key,
    name: r.name,
    size: r.size,
    type: r.type,
    partsStored: r.parts.length,
    partCount,
    bytesStored: bytes,
    createdAt: r.createdAt,
    updatedAt: r.updatedAt,
    ...(r.lastModified !== undefined ? { lastModified: r.lastModified } : {}),
    ...(r.handle ? { handle: r.handle } : {}),
    ...(r.path ? { path: r.path } : {}),
  });
}
