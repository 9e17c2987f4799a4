// Resume state for Node processes: one JSON file the caller chooses (createNodeQueue({ resumeState })).
// Written whole on each change (the queue batches parts: at most one write per 250 ms in vs3/node),
// through a temporary file and a rename, so a process killed mid-write leaves the previous state.
// One writer per file: two processes (or two queues) sharing a state file overwrite each other.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { mergeParts, type ResumePart, type ResumeRecord, type ResumeStore } from '../client/resume.js';

/**
 * A ResumeStore in one JSON file (created with its directory on the first write), written whole through
 * a temporary file and a rename. One writer per file: queues sharing it overwrite each other's records.
 */
export function jsonFileStore(file: string): ResumeStore {
  let records: Map<string, ResumeRecord> | null = null;
  let chain: Promise<unknown> = Promise.resolve();
  const load = async () => {
    if (records) return records;
    records = new Map();
    try {
      const data = JSON.parse(await readFile(file, 'utf8')) as { v?: number; uploads?: ResumeRecord[] };
      for (const r of data.uploads ?? []) if (r && typeof r.id === 'string') records.set(r.id, r);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
    return records;
  };
  const save = async () => {
    const tmp = `${file}.${process.pid}.tmp`;
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(tmp, JSON.stringify({ v: 1, uploads: [...records!.values()] }));
    await rename(tmp, file);
  };
  // One operation at a time: a write never interleaves with another.
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const p = chain.then(fn);
    chain = p.catch(() => {});
    return p;
  };
  return {
    list: () => serial(async () => [...(await load()).values()].map((r) => ({ ...r, parts: [...r.parts] }))),
    put: (record: ResumeRecord, parts: readonly ResumePart[]) =>
      serial(async () => {
        const all = await load();
        const { handle: _h, ...rest } = record; // handles exist in browsers only
        all.set(record.id, { ...rest, parts: mergeParts(all.get(record.id)?.parts ?? [], parts) });
        await save();
      }),
    delete: (id: string) =>
      serial(async () => {
        if ((await load()).delete(id)) await save();
      }),
  };
}
