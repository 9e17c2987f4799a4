import { Vs3Provider } from '@vs3/react';
import { useState } from 'react';
import { UploadButton, UploadDropzone, useUpload } from './vs3';

type Stored = { key: string; sha256: string | undefined; size: number; url: string | undefined };

export function App() {
  const [stored, setStored] = useState<Stored[]>([]);
  return (
    // One queue (one worker pool, one concurrency budget) for every upload below. Optional: without
    // it each component has a queue of its own. The handler is at /api/vs3 (the default).
    <Vs3Provider options={{ maxInFlight: 4 }}>
      <main className="page">
        <header>
          <h1>vs3 + React</h1>
          <p>Files go straight to storage through presigned URLs; the server only signs.</p>
        </header>

        <section className="card">
          <h2>Drop zone</h2>
          <UploadDropzone
            route="files"
            className="vs3-dropzone"
            // Typed: result is what the "files" route's onUploadComplete returns.
            onUploadComplete={(results) =>
              setStored((s) => [...results.map((r) => ({ key: r.result.key, sha256: r.result.sha256, size: r.size, url: r.url })), ...s])
            }
          />
        </section>

        <section className="card">
          <h2>Button</h2>
          <p className="muted">Images only (PNG, JPEG, WebP, GIF), up to 5 MB: anything else is refused before upload.</p>
          <UploadButton
            route="images"
            className="vs3-button"
            onUploadComplete={(results) => setStored((s) => [...results.map((r) => ({ key: r.key, sha256: r.sha256, size: r.size, url: r.url })), ...s])}
          />
        </section>

        <section className="card">
          <h2>Your own UI with useUpload</h2>
          <CustomUpload />
        </section>

        {stored.length > 0 && (
          <section className="card">
            <h2>Stored</h2>
            <ul className="stored" data-testid="stored">
              {stored.map((f) => (
                <li key={f.key} data-key={f.key}>
                  {f.url ? <a href={f.url}>{f.key}</a> : f.key} <span className="muted">{f.size} bytes</span>
                  <code title="SHA-256">{f.sha256?.slice(0, 16)}…</code>
                </li>
              ))}
            </ul>
          </section>
        )}
      </main>
    </Vs3Provider>
  );
}

/** useUpload: your own input, a progress bar per file, pause/resume/cancel. */
function CustomUpload() {
  const { upload, files, progress, isUploading, error, pause, resume, cancel, reset } = useUpload('files');
  const paused = files.some((f) => f.state === 'paused');
  return (
    <div className="custom">
      <label className="vs3-pick">
        <input type="file" multiple onChange={(e) => e.target.files?.length && void upload(e.target.files)} />
        Choose files
      </label>
      {files.length > 0 && (
        <>
          <div className="bar" role="progressbar" aria-valuenow={Math.floor(progress * 100)} aria-valuemin={0} aria-valuemax={100}>
            <div style={{ width: `${progress * 100}%` }} />
          </div>
          <ul className="files">
            {files.map((f) => (
              <li key={f.key} data-state={f.state}>
                <span>{f.name}</span>
                <span>{f.state === 'done' ? 'done' : f.error ? f.error.message : `${Math.floor(f.progress * 100)}%`}</span>
              </li>
            ))}
          </ul>
          <div className="actions">
            {isUploading && (
              <>
                <button type="button" onClick={paused ? resume : pause}>
                  {paused ? 'Resume' : 'Pause'}
                </button>
                <button type="button" onClick={cancel}>
                  Cancel
                </button>
              </>
            )}
            {!isUploading && (
              <button type="button" onClick={reset}>
                Clear
              </button>
            )}
          </div>
        </>
      )}
      {error && <p className="error">{error.message}</p>}
    </div>
  );
}
