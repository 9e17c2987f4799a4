// The page the React e2e test (e2e/react.test.mjs) drives: scenarios mounted on demand through
// window.__t, each recording what the hooks rendered so the test can check it.
import { StrictMode, useEffect, useRef } from 'react';
import { createRoot } from 'react-dom/client';
import { UploadButton, UploadDropzone, useUpload, useUploadQueue, Vs3Provider } from '@vs3/react';

const t = { renders: [], frames: 0, results: [], errors: [], api: null };
window.__t = t;

/** Content the test can rebuild in Node: byte i of a file is (i * 7 + seed) % 251. */
t.makeFile = (name, size, seed = 0) => {
  const u8 = new Uint8Array(size);
  for (let i = 0; i < size; i++) u8[i] = (i * 7 + seed) % 251;
  return new File([u8], name, { type: 'application/octet-stream' });
};

function Hook({ route, uploadOnMount, keep }) {
  const u = useUpload(route, {
    queue: { persist: false },
    keepUploadsOnUnmount: keep === true,
    onUploadComplete: (rs) => t.results.push(...rs.map((r) => r.key)),
    onUploadError: (e) => t.errors.push(e.code),
  });
  t.renders.push({
    at: performance.now(),
    progress: u.progress,
    uploading: u.isUploading,
    error: u.error?.code,
    files: u.files.map((f) => ({ name: f.name, state: f.state, up: f.bytesUploaded, p: f.progress, key: f.result?.key })),
  });
  const latest = useRef(u);
  latest.current = u;
  t.api = {
    upload: (files) =>
      latest.current.upload(files).then(
        (rs) => rs.map((r) => r.key),
        (e) => ({ error: e.code }),
      ),
    cancel: () => latest.current.cancel(),
    clear: () => latest.current.clear(),
    pause: () => latest.current.pause(),
    resume: () => latest.current.resume(),
  };
  useEffect(() => {
    if (uploadOnMount) void latest.current.upload(uploadOnMount);
  }, [uploadOnMount]);
  return <p id="hook" data-uploading={String(u.isUploading)} data-progress={u.progress} />;
}

function Queue() {
  const q = useUploadQueue();
  t.renders.push({ pending: q.pending, progress: q.progress, states: q.files.map((f) => f.state) });
  t.api = {
    add: (files) => Promise.all(files.map((f) => q.add(f, { route: 'files' }).promise.then((r) => r.key))),
    pauseAll: q.pauseAll,
    resumeAll: q.resumeAll,
  };
  return <p id="queue" data-pending={q.pending} />;
}

let root = null;
t.mount = (scenario, props = {}) => {
  t.unmount();
  t.renders = [];
  const el = document.createElement('div');
  el.id = 'root';
  document.body.append(el);
  root = createRoot(el);
  let tree;
  if (scenario === 'hook') tree = <Hook route={props.route ?? 'files'} keep={props.keep} />;
  if (scenario === 'queue')
    tree = (
      <Vs3Provider options={{ persist: false }}>
        <Queue />
      </Vs3Provider>
    );
  if (scenario === 'mount-upload') tree = <Hook route="files" uploadOnMount={t.makeFile('on-mount.bin', props.size ?? 2_000_000, 3)} />;
  if (scenario === 'button')
    tree = <UploadButton route="files" queue={{ persist: false }} onUploadComplete={(rs) => t.results.push(...rs.map((r) => r.key))} />;
  if (scenario === 'dropzone')
    tree = (
      <Vs3Provider options={{ persist: false }}>
        <UploadDropzone route={props.route ?? 'files'} onUploadComplete={(rs) => t.results.push(...rs.map((r) => r.key))} />
      </Vs3Provider>
    );
  root.render(props.strict ? <StrictMode>{tree}</StrictMode> : tree);
};
t.unmount = () => {
  root?.unmount();
  root = null;
  document.getElementById('root')?.remove();
};

// Frames, to hold the render count to "at most one per animation frame".
const tick = () => {
  t.frames++;
  requestAnimationFrame(tick);
};
requestAnimationFrame(tick);
t.ready = true;
