// useDropzone(): drag and drop, paste, folder drops and a keyboard-accessible file picker, with files
// checked against the route's rules (GET {endpoint}/routes) or limits given here before upload.
import {
  type ChangeEvent,
  type ClipboardEvent,
  type DragEvent,
  type HTMLAttributes,
  type InputHTMLAttributes,
  type KeyboardEvent,
  type RefObject,
  useCallback,
  useRef,
  useState,
} from 'react';
import { useVs3Context, DEFAULT_ENDPOINT } from './provider.js';
import { acceptOf, checkFiles, type FileRejection, type RouteRules, useRouteRules } from './rules.js';

/** Options of {@link useDropzone}. */
export interface UseDropzoneOptions {
  /** Called with the files that passed the checks and those that did not (either may be empty). */
  onDrop?: (accepted: File[], rejected: FileRejection[]) => void;
  /** Take the limits (types, sizes) from this route's rules on the server (GET {endpoint}/routes). */
  route?: string;
  /** Where the handler is mounted (for the rules). Default: the Vs3Provider's, else "/api/vs3". */
  endpoint?: string;
  /** Accepted MIME patterns and extensions (overrides the route's). */
  accept?: string[];
  /** Largest file in bytes (overrides the route's). */
  maxFileSize?: number;
  /** Smallest file in bytes (overrides the route's). */
  minFileSize?: number;
  /** At most this many files per drop. */
  maxFiles?: number;
  /** More than one file per pick or drop. Default true. */
  multiple?: boolean;
  /** Nothing can be dropped, pasted or picked. */
  disabled?: boolean;
  /** Clicking the zone does not open the file picker. */
  noClick?: boolean;
  /** Files pasted (Ctrl/Cmd+V) while the zone has focus are taken. Default true. */
  paste?: boolean;
}

/** What {@link useDropzone} returns. */
export interface UseDropzoneResult {
  /** Props for the zone element (role=button, focusable, drag, drop, paste, Enter/Space opens the picker). */
  getRootProps<T extends HTMLAttributes<HTMLElement>>(props?: T): T & HTMLAttributes<HTMLElement> & Record<`data-${string}`, string>;
  /** Props for the hidden file input inside the zone. */
  getInputProps<T extends InputHTMLAttributes<HTMLInputElement>>(
    props?: T,
  ): T & InputHTMLAttributes<HTMLInputElement> & { ref: RefObject<HTMLInputElement | null> };
  /** Opens the file picker. */
  open(): void;
  /** Files are being dragged over the zone. */
  isDragActive: boolean;
  /** The files the last drop, paste or pick refused, and why. */
  rejections: FileRejection[];
  /** The route's rules once fetched (undefined without a route, before the answer, on the server). */
  rules: RouteRules | undefined;
}

type Entry = { isFile: boolean; isDirectory: boolean; file?(ok: (f: File) => void, err: (e: unknown) => void): void; createReader?(): DirReader };
type DirReader = { readEntries(ok: (e: Entry[]) => void, err: (e: unknown) => void): void };

/** Every file in a dropped folder, depth first (readEntries answers in batches until an empty one). */
async function filesOf(entry: Entry, out: File[], budget: { left: number }): Promise<void> {
  if (budget.left <= 0) return;
  if (entry.isFile && entry.file) {
    out.push(await new Promise<File>((ok, err) => entry.file!(ok, err)));
    budget.left--;
  } else if (entry.isDirectory && entry.createReader) {
    const reader = entry.createReader();
    for (;;) {
      const batch = await new Promise<Entry[]>((ok, err) => reader.readEntries(ok, err));
      if (!batch.length) break;
      for (const e of batch) await filesOf(e, out, budget);
    }
  }
}

/**
 * The files of a drop: folders walked (at most 10,000 files; more are reported as too many), plain
 * files as they are. Everything the DataTransfer holds is taken before the first await: it is
 * emptied once the drop event returns. A folder that cannot be read keeps the files found so far.
 */
function droppedFiles(dt: DataTransfer): { plain: File[]; walk: Promise<{ files: File[]; truncated: boolean }> } {
  const items = Array.from(dt.items ?? []).filter((i) => i.kind === 'file');
  const entries = items.map((i) => (i as DataTransferItem & { webkitGetAsEntry?(): Entry | null }).webkitGetAsEntry?.() ?? null);
  if (!entries.some((e) => e?.isDirectory)) return { plain: Array.from(dt.files), walk: Promise.resolve({ files: [], truncated: false }) };
  const plain: File[] = [];
  const folders: Entry[] = [];
  for (const [i, e] of entries.entries()) {
    if (e?.isDirectory) folders.push(e);
    else {
      const f = items[i]?.getAsFile();
      if (f) plain.push(f);
    }
  }
  const walk = (async () => {
    const files: File[] = [];
    const budget = { left: 10_000 };
    for (const e of folders) await filesOf(e, files, budget).catch(() => {});
    return { files: files.filter((f) => !JUNK.test(f.name)), truncated: budget.left <= 0 };
  })();
  return { plain, walk };
}

/** Files operating systems leave in folders, never meant to be uploaded. */
const JUNK = /^(\.DS_Store|Thumbs\.db|desktop\.ini|\._.*)$/i;

/**
 * A drop zone: drag and drop (folders too), paste, click or Enter/Space to pick. Files are checked
 * against the route's rules (or the limits given) and handed to `onDrop` as accepted and rejected.
 */
export function useDropzone(options: UseDropzoneOptions = {}): UseDropzoneResult {
  const ctx = useVs3Context();
  const rules = useRouteRules(options.endpoint ?? ctx?.endpoint ?? DEFAULT_ENDPOINT, options.route);
  const input = useRef<HTMLInputElement | null>(null);
  // Elements the drag is over: a counter would stick when one of them is removed mid-drag.
  const entered = useRef(new Set<EventTarget>());
  const [isDragActive, setDragActive] = useState(false);
  const [rejections, setRejections] = useState<FileRejection[]>([]);
  const opts = useRef(options);
  opts.current = options;
  const multiple = options.multiple ?? true;
  const accept = options.accept ?? rules?.allowedFileTypes;
  const limits = {
    accept,
    maxFileSize: options.maxFileSize ?? rules?.maxFileSize,
    minFileSize: options.minFileSize ?? rules?.minFileSize,
    maxFiles: multiple ? options.maxFiles : 1,
  };
  const latestLimits = useRef(limits);
  latestLimits.current = limits;

  const take = useCallback((files: File[], truncated = false) => {
    if (opts.current.disabled || !files.length) return;
    const { accepted, rejected } = checkFiles(files, latestLimits.current);
    if (truncated)
      rejected.push({ file: files.at(-1)!, code: 'too_many_files', message: 'the folder has more than 10,000 files: only the first 10,000 were taken' });
    setRejections(rejected);
    opts.current.onDrop?.(accepted, rejected);
  }, []);

  const open = useCallback(() => {
    if (!opts.current.disabled) input.current?.click();
  }, []);

  const getRootProps: UseDropzoneResult['getRootProps'] = (props) => {
    const p = (props ?? {}) as HTMLAttributes<HTMLElement>;
    const chain =
      <E>(mine: (e: E) => void, theirs?: (e: E) => void) =>
      (e: E) => {
        theirs?.(e);
        mine(e);
      };
    return {
      role: 'button',
      tabIndex: options.disabled ? -1 : 0,
      'aria-disabled': options.disabled ? true : undefined,
      ...p,
      'data-drag-active': isDragActive ? 'true' : 'false',
      onClick: chain(() => {
        if (!opts.current.noClick) open();
      }, p.onClick),
      onKeyDown: chain((e: KeyboardEvent<HTMLElement>) => {
        if (e.target !== e.currentTarget || (e.key !== 'Enter' && e.key !== ' ')) return;
        e.preventDefault();
        open();
      }, p.onKeyDown),
      onDragEnter: chain((e: DragEvent<HTMLElement>) => {
        e.preventDefault();
        entered.current.add(e.target);
        if (!opts.current.disabled) setDragActive(true);
      }, p.onDragEnter),
      onDragOver: chain((e: DragEvent<HTMLElement>) => {
        e.preventDefault();
        if (e.dataTransfer) e.dataTransfer.dropEffect = opts.current.disabled ? 'none' : 'copy';
      }, p.onDragOver),
      onDragLeave: chain((e: DragEvent<HTMLElement>) => {
        const root = e.currentTarget;
        entered.current.delete(e.target);
        for (const t of entered.current) if (!(t instanceof Node) || !root.contains(t)) entered.current.delete(t);
        if (!entered.current.size) setDragActive(false);
      }, p.onDragLeave),
      onDrop: chain((e: DragEvent<HTMLElement>) => {
        e.preventDefault();
        entered.current.clear();
        setDragActive(false);
        if (!e.dataTransfer) return;
        const { plain, walk } = droppedFiles(e.dataTransfer);
        void walk.then(({ files, truncated }) => take([...plain, ...files], truncated));
      }, p.onDrop),
      onPaste: chain((e: ClipboardEvent<HTMLElement>) => {
        if (opts.current.paste === false) return;
        const files = Array.from(e.clipboardData?.files ?? []);
        if (files.length) e.preventDefault(), take(files);
      }, p.onPaste),
    } as never;
  };

  const getInputProps: UseDropzoneResult['getInputProps'] = (props) => {
    const p = (props ?? {}) as InputHTMLAttributes<HTMLInputElement>;
    return {
      type: 'file',
      tabIndex: -1,
      style: { display: 'none' },
      multiple,
      ...(accept?.length ? { accept: acceptOf(accept) } : {}),
      disabled: options.disabled,
      ...p,
      ref: input,
      // The picker's click bubbles to the zone, which would open the picker again.
      onClick: (e: { stopPropagation(): void }) => e.stopPropagation(),
      onChange: (e: ChangeEvent<HTMLInputElement>) => {
        p.onChange?.(e);
        const files = Array.from(e.target.files ?? []);
        e.target.value = ''; // picking the same file again fires change again
        take(files);
      },
    } as never;
  };

  return { getRootProps, getInputProps, open, isDragActive, rejections, rules };
}
