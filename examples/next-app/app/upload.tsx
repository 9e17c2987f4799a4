'use client';
// The components and a hook, typed from vs3.ts's routes: a wrong route name is a compile error, and
// `result` is what the route's onUploadComplete returns ({ stored: string } for "files").
import { useState } from 'react';
import { UploadButton, UploadDropzone, useUpload } from './vs3-react';

export function Uploads() {
  const [stored, setStored] = useState<string[]>([]);
  return (
    <>
      <section>
        <h2>Drop zone</h2>
        {/* Styled through [data-state] in globals.css: idle, dragging, uploading, done, error. */}
        <UploadDropzone route="files" className="zone" onUploadComplete={(results) => setStored((s) => [...s, ...results.map((r) => r.result.stored)])} />
        {stored.length > 0 && (
          <ul data-testid="stored">
            {stored.map((key) => (
              <li key={key} data-key={key}>
                {key}
              </li>
            ))}
          </ul>
        )}
      </section>
      <section>
        <h2>Button (images up to 10 MB)</h2>
        <UploadButton route="images" className="button" />
      </section>
      <section>
        <h2>Your own UI: useUpload</h2>
        <HookUpload />
      </section>
    </>
  );
}

/** useUpload with a progress bar of its own and the typed result. */
function HookUpload() {
  const [last, setLast] = useState<string | null>(null);
  const { upload, files, progress, isUploading, error, cancel } = useUpload('files', {
    // result.stored is typed: what the "files" route's onUploadComplete returns.
    onUploadComplete: ([first]) => first && setLast(`${first.result.stored} (${first.size} bytes, verified: ${first.verified === true})`),
  });
  return (
    <div data-testid="hook" data-state={isUploading ? 'uploading' : error ? 'error' : last ? 'done' : 'idle'}>
      <input type="file" aria-label="Upload with useUpload" onChange={(e) => e.target.files?.length && void upload(e.target.files)} />
      {isUploading && (
        <>
          <progress value={progress} max={1} /> {Math.floor(progress * 100)}% of {files.length} file(s){' '}
          <button type="button" onClick={cancel}>
            Cancel
          </button>
        </>
      )}
      {error && <p role="alert">{error.message}</p>}
      {last && <p>stored {last}</p>}
    </div>
  );
}
