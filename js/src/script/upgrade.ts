// The drop-in script's engine room: where vs3.js found its worker and wasm (configure), one upload
// queue per endpoint, and upgrade() — a file input that uploads what is picked, fires vs3:progress,
// vs3:complete and vs3:error, shows data-vs3-state and leaves one hidden input per stored key for
// the form post. Held form submits (holdSubmit) wait here for the uploads to settle.
import { loadCore } from '../core.js';
import { createUploadQueue, type QueueOptions, type UploadHandle, type UploadQueue, type UploadResult, type UploadSnapshot } from '../client/queue.js';
import { workerReader } from '../client/reader.js';
import type { Vs3Error } from '../errors.js';

/** What every queue the script makes starts from (configure()): queue options and where vs3.js lives. */
export interface ScriptConfig extends Partial<QueueOptions> {
  /** URL of the folder holding vs3-worker.js and vs3core.wasm. Default: next to vs3.js (or its data-vs3-base). */
  base?: string;
}

/** Options of upgrade(); the input's data-vs3-* attributes are the defaults. */
export interface UpgradeOptions {
  /** Handler URL: data-vs3-endpoint on the input or an ancestor, else "/api/vs3". */
  endpoint?: string;
  /** Handler route: data-vs3-route. */
  route?: string;
  /** Name of the hidden input(s) holding the stored keys: data-vs3-name, else the input's own name (removed from it). */
  name?: string;
  /** Metadata for the route (data-vs3-metadata, JSON), or a function of the file. */
  metadata?: unknown;
  /** @internal The <vs3-upload> element the input belongs to: events and state go there too. */
  host?: HTMLElement;
}

/** Upload state of an upgraded input, also its data-vs3-state attribute. */
export type State = 'idle' | 'uploading' | 'done' | 'error';

interface Bound {
  i: HTMLInputElement;
  o: UpgradeOptions;
  /** Hidden inputs with the stored keys. */
  k: HTMLInputElement[];
  /** Uploads of the current selection (undefined: refused before it started, e.g. bad metadata). */
  h: (UploadHandle | undefined)[];
  /** Uploads not settled yet. */
  p: number;
  /** Selection generation: answers of an earlier selection are ignored. */
  g: number;
  /** Called when p drops to 0. */
  w: (() => void)[];
  /** Stops listening to the queue. */
  off?: () => void;
}

export const config: ScriptConfig = {};
const bound = new WeakMap<HTMLInputElement, Bound>();
const queues = new Map<string, UploadQueue>();

/** Queue options with the script's core and hashing worker (found next to vs3.js) unless given. */
export function withDefaults(o: QueueOptions): QueueOptions {
  const b = config.base ?? '.';
  const base = new URL(b.endsWith('/') ? b : `${b}/`, location.href);
  const wasmUrl = new URL('vs3core.wasm', base).href;
  let workerUrl = new URL('vs3-worker.js', base).href;
  // A worker must be same-origin: from a CDN it starts as a blob that imports the real one (CORS).
  if (new URL(workerUrl).origin !== location.origin)
    workerUrl = URL.createObjectURL(new Blob([`import ${JSON.stringify(workerUrl)}`], { type: 'text/javascript' }));
  const { base: _b, ...rest } = config;
  return {
    core: loadCore({ locateFile: () => wasmUrl }, wasmUrl),
    reader: workerReader({ workerUrl, wasmUrl }),
    ...rest,
    ...o,
  };
}

function queueFor(endpoint: string): UploadQueue {
  let q = queues.get(endpoint);
  if (!q) queues.set(endpoint, (q = createUploadQueue(withDefaults({ endpoint }))));
  return q;
}

function attr(el: Element, name: string): string | undefined {
  return el.closest(`[${name}]`)?.getAttribute(name) ?? undefined;
}

function setState(b: Bound, s: State) {
  for (const el of [b.i, b.o.host]) el?.setAttribute('data-vs3-state', s);
}

function fire(b: Bound, type: string, detail: object) {
  (b.o.host ?? b.i).dispatchEvent(new CustomEvent(`vs3:${type}`, { bubbles: true, detail }));
}

/** The stored keys of an upgraded input (its hidden inputs' values). */
export const keysOf = (input: HTMLInputElement): string[] => bound.get(input)?.k.map((k) => k.value) ?? [];

/**
 * Makes a file input upload what is picked (idempotent). Each new selection replaces the last one:
 * unfinished uploads of it are cancelled and its hidden inputs removed.
 */
export function upgradeInput(input: HTMLInputElement, opts: UpgradeOptions = {}): void {
  if (bound.has(input)) return;
  const d = input.dataset;
  const name = opts.name ?? d.vs3Name ?? input.name;
  // The file itself must not be posted: the name moves to the hidden inputs.
  input.removeAttribute('name');
  d.vs3Name = name;
  const b: Bound = { i: input, o: opts, k: [], h: [], p: 0, g: 0, w: [] };
  bound.set(input, b);
  setState(b, 'idle');
  input.addEventListener('change', () => start(b));
}

function start(b: Bound) {
  const { i, o } = b;
  const g = ++b.g;
  b.off?.();
  for (const h of b.h) h?.cancel();
  for (const k of b.k) k.remove();
  b.h = [];
  b.k = [];
  i.setCustomValidity('');
  const files = [...(i.files ?? [])];
  b.p = files.length;
  if (!b.p) return settle(b, 'idle');
  setState(b, 'uploading');
  const q = queueFor(o.endpoint ?? attr(i, 'data-vs3-endpoint') ?? '/api/vs3');
  const route = o.route ?? attr(i, 'data-vs3-route') ?? '';
  // Read at each selection (a page may change data-vs3-metadata); bad JSON fails that file.
  const meta = (file: File) => {
    const m = o.metadata ?? (i.dataset.vs3Metadata ? JSON.parse(i.dataset.vs3Metadata) : undefined);
    return typeof m === 'function' ? m(file) : m;
  };
  const loaded = files.map(() => 0);
  const total = files.reduce((s, f) => s + f.size, 0);
  let failed = false;
  const onProgress = (s: UploadSnapshot) => {
    const n = b.h.findIndex((h) => h?.id === s.id);
    if (n < 0 || g !== b.g) return;
    loaded[n] = s.bytesUploaded;
    const sum = loaded.reduce((a, c) => a + c, 0);
    fire(b, 'progress', { file: files[n], upload: s, loaded: sum, total, progress: total ? sum / total : 1 });
  };
  const offs = [q.on('progress', onProgress), q.on('state', onProgress)];
  b.off = () => {
    for (const f of offs) f();
  };
  for (const file of files) {
    let h: UploadHandle | undefined;
    let stored: Promise<UploadResult>;
    try {
      h = q.add(file, { route, metadata: meta(file) });
      stored = h.promise;
    } catch (e) {
      stored = Promise.reject(e);
    }
    b.h.push(h);
    stored
      .then(
        (result) => {
          if (g !== b.g) return;
          const k = document.createElement('input');
          k.type = 'hidden';
          k.name = i.dataset.vs3Name ?? '';
          k.value = result.key;
          const form = i.getAttribute('form');
          if (form) k.setAttribute('form', form);
          (b.k[b.k.length - 1] ?? i).after(k);
          b.k.push(k);
          fire(b, 'complete', { ...result, file, keys: keysOf(i) });
        },
        (error: Pick<Vs3Error, 'message'> & { code?: string }) => {
          if (g !== b.g) return;
          failed = true;
          // The form cannot be submitted with a failed upload: the browser shows this on the input.
          i.setCustomValidity(`${file.name}: ${error.message}`);
          fire(b, 'error', { file, error, code: error.code ?? 'invalid_request', message: error.message });
        },
      )
      .finally(() => {
        if (g === b.g && !--b.p) settle(b, failed ? 'error' : 'done');
      });
  }
}

function settle(b: Bound, s: State) {
  b.off?.();
  setState(b, s);
  for (const w of b.w.splice(0)) w();
}

/** Bound inputs of a form (those with a form= attribute elsewhere included). */
function boundIn(form: HTMLFormElement): Bound[] {
  const r: Bound[] = [];
  for (const el of form.elements) {
    const b = bound.get(el as HTMLInputElement);
    if (b) r.push(b);
  }
  return r;
}

/** Reset listener: a reset form empties its file inputs without a change event; forget their uploads and keys. */
export function onReset(ev: Event): void {
  const form = ev.target as HTMLFormElement;
  setTimeout(() => {
    for (const b of boundIn(form)) start(b);
  });
}

const held = new WeakSet<HTMLFormElement>();

/**
 * Submit listener (window, capture): a form with uploads in progress is held — marked
 * data-vs3-state="uploading" and aria-busy — and submitted once they settle, with the same submit
 * button. If one failed, the input's validity error stops that submit and the browser shows it; a
 * form with a failed upload is not submitted at all (until a new selection or a reset).
 */
export function holdSubmit(ev: SubmitEvent): void {
  const form = ev.target as HTMLFormElement;
  const all = boundIn(form);
  const busy = all.filter((b) => b.p);
  // A failed upload blocks the submit even in a novalidate form (which ignores setCustomValidity).
  const failed = all.some((b) => b.i.getAttribute('data-vs3-state') === 'error');
  if (!busy.length && !failed && !held.has(form)) return;
  ev.preventDefault();
  ev.stopImmediatePropagation();
  if (held.has(form) || !busy.length) return;
  held.add(form);
  const submitter = ev.submitter as HTMLButtonElement | null;
  form.setAttribute('aria-busy', 'true');
  form.setAttribute('data-vs3-state', 'uploading');
  void Promise.all(busy.map((b) => new Promise<void>((r) => b.w.push(r)))).then(() => {
    held.delete(form);
    form.removeAttribute('aria-busy');
    form.removeAttribute('data-vs3-state');
    form.requestSubmit(submitter?.form === form ? submitter : null);
  });
}
