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
    const loaded = new Map<string, ResumeRecord>();
    let text: string | null = null;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e; // unreadable: ask again next time
    }
    if (text !== null) {
      try {
        const data = JSON.parse(text) as { v?: number; uploads?: ResumeRecord[] };
        for (const r of data.uploads ?? []) if (r && typeof r.id === 'string') loaded.set(r.id, r);
      } catch {
        // Not JSON (a disk error, an edit by hand): kept aside, never overwritten by the next write.
        const aside = `${file}.corrupt-${Date.now()}`;
        await rename(file, aside);
        console.warn(`vs3: resume state ${file} was not valid JSON; moved to ${aside}, starting empty`);
      }
    }
    records = loaded;
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
