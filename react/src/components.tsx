// <UploadButton> and <UploadDropzone>: unstyled components over useUpload and useDropzone. They carry
// data-state attributes (idle, dragging, uploading, done, error) for CSS and announce progress and
// errors through a role=status line; the file picker is a real <input type=file> behind a button.
import { type ReactNode, useId, useRef } from 'react';
import { useDropzone } from './use-dropzone.js';
import { formatBytes, type FileRejection } from './rules.js';
import { type UseUploadOptions, type UseUploadResult, useUpload } from './use-upload.js';

/** What a component's state is, as its data-state attribute says. */
export type UploadState = 'idle' | 'dragging' | 'uploading' | 'done' | 'error';

/** Props both components take, besides the useUpload options. */
export interface UploadComponentProps<I = unknown, R = unknown> extends UseUploadOptions<I, R> {
  /** The route to upload through. */
  route: string;
  /** More than one file. Default false for the button, true for the drop zone. */
  multiple?: boolean;
  /** Accepted types (overrides the route's rules from GET /routes). */
  accept?: string[];
  /** Largest file in bytes (overrides the route's rules). */
  maxFileSize?: number;
  /** Nothing can be picked or dropped. */
  disabled?: boolean;
  /** Class of the outer element. */
  className?: string;
  /** Called with files refused before upload (type, size, count). */
  onRejected?: (rejections: FileRejection[]) => void;
  /** The content: nodes, or a function of the state and the upload (e.g. a custom progress bar). */
  children?: ReactNode | ((state: UploadState, upload: UseUploadResult<I, R>) => ReactNode);
}

function stateOf(u: UseUploadResult<unknown, unknown>, rejected: boolean, dragging = false): UploadState {
  if (dragging) return 'dragging';
  if (u.isUploading) return 'uploading';
  if (u.error || rejected) return 'error';
  return u.files.length && u.files.every((f) => f.state === 'done') ? 'done' : 'idle';
}

const pct = (p: number) => `${Math.floor(p * 100)}%`;

/** For the live region: progress in steps of 10 %, so screen readers are not flooded. */
function statusText(u: UseUploadResult<unknown, unknown>, state: UploadState, rejections: FileRejection[]): string {
  if (state === 'uploading') return `Uploading ${Math.floor(u.progress * 10) * 10}%`;
  if (state === 'error') return rejections[0]?.message ?? u.error?.message ?? 'Upload failed';
  if (state === 'done') return u.files.length === 1 ? `Uploaded ${u.files[0]!.name}` : `Uploaded ${u.files.length} files`;
  return '';
}

/** What both components share: useUpload, and a useDropzone whose accepted files it uploads. */
function usePickAndUpload<I, R>(props: UploadComponentProps<I, R>, multiple: boolean) {
  const { route, multiple: _m, accept, maxFileSize, disabled, className: _c, onRejected, children: _ch, ...opts } = props;
  const u = useUpload<I, R>(route, opts);
  const zone = useDropzone({
    route,
    multiple,
    noClick: true, // the button opens the picker (the drop zone's own click handler does elsewhere)
    ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
    ...(accept ? { accept } : {}),
    ...(maxFileSize !== undefined ? { maxFileSize } : {}),
    ...(disabled !== undefined ? { disabled } : {}),
    onDrop: (accepted, rejected) => {
      if (rejected.length) onRejected?.(rejected);
      if (!accepted.length) return;
      u.clear(); // the state shown is this pick's, not an earlier failure's
      void u.upload(accepted);
    },
  });
  return { u, zone };
}

/**
 * A button that opens the file picker and uploads what is picked. Unstyled: style it through
 * `className` and `[data-state]` (idle, uploading, done, error).
 */
export function UploadButton<I = unknown, R = unknown>(props: UploadComponentProps<I, R>): ReactNode {
  const { multiple = false, disabled, className, children } = props;
  const { u, zone } = usePickAndUpload(props, multiple);
  const state = stateOf(u as UseUploadResult<unknown, unknown>, zone.rejections.length > 0 && !u.isUploading);
  const statusId = useId();
  const label =
    typeof children === 'function'
      ? children(state, u)
      : (children ?? (state === 'uploading' ? `Uploading ${pct(u.progress)}` : multiple ? 'Choose files' : 'Choose file'));
  return (
    <div className={className} data-vs3="upload-button" data-state={state}>
      <button type="button" onClick={zone.open} disabled={disabled} aria-describedby={statusId} data-state={state}>
        {label}
      </button>
      <input {...zone.getInputProps()} />
      <span id={statusId} role="status" aria-live="polite" data-vs3="status">
        {statusText(u as UseUploadResult<unknown, unknown>, state, zone.rejections)}
      </span>
    </div>
  );
}

/**
 * A drop zone (drag and drop, folders, paste, click or Enter/Space to pick) that uploads what it gets
 * and lists the files with their progress. Unstyled: `[data-state]` is idle, dragging, uploading,
 * done or error on the zone and on each file.
 */
export function UploadDropzone<I = unknown, R = unknown>(props: UploadComponentProps<I, R>): ReactNode {
  const { multiple = true, accept, maxFileSize, disabled, className, children } = props;
  const { u, zone } = usePickAndUpload(props, multiple);
  const state = stateOf(u as UseUploadResult<unknown, unknown>, zone.rejections.length > 0 && !u.isUploading, zone.isDragActive);
  const statusId = useId();
  const types = accept ?? zone.rules?.allowedFileTypes ?? [];
  const max = maxFileSize ?? zone.rules?.maxFileSize;
  const choose = useRef<HTMLButtonElement | null>(null);
  const hint = [types.length ? types.join(', ') : '', max !== undefined ? `up to ${formatBytes(max)}` : ''].filter(Boolean).join(', ');
  const content =
    typeof children === 'function' ? (
      children(state, u)
    ) : (
      <>
        {children ?? <span data-vs3="label">{multiple ? 'Drop files here or paste them' : 'Drop a file here or paste it'}</span>}
        <button type="button" ref={choose} data-vs3="choose" onClick={zone.open} disabled={disabled} aria-describedby={statusId}>
          {multiple ? 'Choose files' : 'Choose a file'}
        </button>
        {hint && <span data-vs3="hint">{hint}</span>}
        {u.isUploading && <progress value={u.progress} max={1} data-vs3="progress" />}
        {u.files.length > 0 && (
          <ul data-vs3="files">
            {u.files.map((f) => (
              <li key={f.key} data-state={f.state} data-name={f.name}>
                {f.name} {f.state === 'done' ? '✓' : f.error ? f.error.message : pct(f.progress)}
              </li>
            ))}
          </ul>
        )}
        {u.isUploading && (
          <button
            type="button"
            data-vs3="cancel"
            onClick={() => {
              u.cancel();
              choose.current?.focus(); // this button is about to go: keep keyboard focus in the zone
            }}
          >
            Cancel
          </button>
        )}
      </>
    );
  return (
    <div
      {...zone.getRootProps({
        className,
        // A group with a real button inside, not one big button: the list, the Cancel button and the
        // status line stay visible to assistive technology.
        role: 'group',
        tabIndex: -1,
        'aria-label': typeof children === 'string' ? children : 'File upload',
        // Clicks on the zone's own buttons do their own thing; elsewhere a click picks files.
        onClick: (e) => {
          if (!(e.target as Element).closest?.('button')) zone.open();
        },
      })}
      data-vs3="upload-dropzone"
      data-state={state}
    >
      <input {...zone.getInputProps()} />
      {content}
      <span id={statusId} role="status" aria-live="polite" data-vs3="status">
        {statusText(u as UseUploadResult<unknown, unknown>, state, zone.rejections)}
      </span>
    </div>
  );
}
