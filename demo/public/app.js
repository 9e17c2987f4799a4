// vs3 demo page: one upload queue (the C++ engine in WASM decides; workers read and hash), rendered
// from the queue's immutable snapshots. Contract used by e2e tests: #picker, #drop, #uploads
// li[data-name] gets class "done" or "error" (data-key, data-sha256, data-error); #interrupted
// li[data-name] lists uploads a reload or crash interrupted (picking the same file resumes it).
import { createUploadQueue } from '/vs3/client/index.js';
import { processImage } from '/vs3/image/index.js';

const queue = createUploadQueue({ endpoint: '/api/vs3' });
window.vs3queue = queue; // for the console (and tests)
const $ = (s) => document.querySelector(s);
const fmt = (n) =>
  n < 1024
    ? `${n} B`
    : n < 1024 ** 2
      ? `${(n / 1024).toFixed(1)} KiB`
      : n < 1024 ** 3
        ? `${(n / 1024 ** 2).toFixed(1)} MiB`
        : `${(n / 1024 ** 3).toFixed(2)} GiB`;
const fmtEta = (s) => (s == null ? '–' : s < 60 ? `${Math.ceil(s)} s` : `${Math.floor(s / 60)} min ${Math.ceil(s % 60)} s`);

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

const rows = new Map(); // upload id -> { li, status, bar, pause, cancel }

function addRow(file, handle) {
  const status = el('span', { className: 'status', textContent: 'queued' });
  const pause = el('button', { className: 'pause', textContent: 'Pause', onclick: () => (pause.textContent === 'Pause' ? handle.pause() : handle.resume()) });
  const cancel = el('button', { className: 'cancel', textContent: 'Cancel', onclick: () => handle.cancel() });
  const bar = el('progress', { max: 1, value: 0 });
  const li = el(
    'li',
    {},
    el('div', { className: 'row' }, el('span', { className: 'name', textContent: `${file.name} (${fmt(file.size)})` }), el('span', {}, status, pause, cancel)),
    bar,
  );
  li.dataset.name = file.name;
  $('#uploads').prepend(li);
  const row = { li, status, bar, pause, cancel };
  handle.promise.then(
    (res) => {
      li.classList.add('done');
      li.dataset.key = res.key;
      li.dataset.sha256 = res.sha256 ?? '';
      const s = handle.snapshot();
      li.dataset.resumed = String(Boolean(s?.resumed));
      li.dataset.reused = String(s?.bytesReused ?? 0);
      const reused = s?.resumed ? ` · resumed, ${fmt(s.bytesReused)} were stored already` : '';
      status.textContent = `${res.deduplicated ? 'already stored' : 'stored'} ✓ ${res.sha256?.slice(0, 12)}…${reused}`;
      pause.remove();
      cancel.remove();
      bar.value = 1;
      refresh();
    },
    (err) => {
      li.classList.add('error');
      li.dataset.error = err.code ?? 'error';
      status.textContent = `${err.code ?? 'error'}: ${err.message}`;
      pause.remove();
      cancel.remove();
    },
  );
  return row;
}

// The images route: the C++ pipeline (in a worker) makes a ≤ 2560 px WebP and a 320 px thumbnail from
// one decode, EXIF orientation applied and metadata stripped. The row shows the thumbnail and both
// sizes before anything is sent; the upload sends the processed image and stores the thumbnail beside it.
async function startImageUpload(file) {
  const info = el('span', { className: 'image-info', textContent: 'processing…' });
  const li = el('li', { className: 'image' }, el('div', { className: 'row' }, el('span', { className: 'name', textContent: file.name }), info));
  li.dataset.name = file.name;
  $('#uploads').prepend(li);
  let out;
  try {
    out = await processImage(file, { maxWidth: 2560, maxHeight: 2560, quality: 82, variants: { thumb: { maxWidth: 320, maxHeight: 320 } } });
  } catch (err) {
    li.classList.add('error');
    li.dataset.error = err.code ?? 'error';
    info.textContent = `${err.code ?? 'error'}: ${err.message}`;
    return;
  }
  const o = out.original;
  const img = el('img', { className: 'preview', src: URL.createObjectURL(out.variants.thumb.blob), alt: `preview of ${file.name}` });
  info.textContent = `${o.width}×${o.height} ${o.type.slice(6)} ${fmt(file.size)} → ${out.width}×${out.height} ${out.type.slice(6)} ${fmt(out.size)}`;
  li.remove();
  // Already processed: the transform hands the result over instead of running the pipeline again
  // (the queue names it after the file, with the output's extension).
  const handle = queue.add(file, { route: 'images', transform: async () => out });
  const row = addRow(file, handle);
  row.li.prepend(img);
  Object.assign(row.li.dataset, { originalSize: String(file.size), processedSize: String(out.size), processed: `${out.width}x${out.height}` });
  row.li.querySelector('.name').textContent = `${file.name} · ${info.textContent}`;
  rows.set(handle, row);
  handle.promise.then(
    (res) => {
      row.li.dataset.variants = (res.variants ?? []).map((v) => v.key).join(' ');
    },
    () => {},
  );
}

function startUpload(file) {
  // Images go through the pipeline first; anything else is sent as it is, for the route to judge.
  if ($('#route').value === 'images' && file.type.startsWith('image/')) return void startImageUpload(file);
  // An interrupted upload of the same route, name and size is resumed (after its content is checked).
  const handle = queue.add(file, { route: $('#route').value });
  rows.set(handle, addRow(file, handle));
  handle.promise.catch(() => {}).finally(showInterrupted);
  setTimeout(showInterrupted, 300);
}

function render() {
  const snap = queue.getSnapshot();
  for (const [handle, row] of rows) {
    const s = handle.snapshot();
    if (!s) continue;
    row.li.dataset.state = s.state;
    if (s.state === 'done' || s.state === 'failed' || s.state === 'cancelled') continue;
    row.bar.value = s.progress;
    row.pause.textContent = s.state === 'paused' ? 'Resume' : 'Pause';
    const pct = Math.floor(100 * s.progress);
    row.status.textContent =
      s.state === 'paused'
        ? `paused at ${pct}%`
        : s.state === 'queued'
          ? 'queued'
          : s.state === 'completing'
            ? 'confirming'
            : `${pct}% · ${fmt(Math.round(s.speed))}/s · ${fmtEta(s.eta)} left${s.retries ? ` · ${s.retries} retries` : ''}${s.resumed ? ' · resumed' : ''}`;
  }
  $('#overall').value = snap.progress;
  $('#overall-text').textContent = snap.files.length
    ? `${fmt(snap.uploadedBytes)} of ${fmt(snap.totalBytes)} · ${fmt(Math.round(snap.speed))}/s · ${snap.pending ? `${fmtEta(snap.eta)} left` : 'all finished'}${snap.online ? '' : ' · offline'}`
    : '';
}
queue.subscribe(render);

async function refresh() {
  const res = await fetch('/api/files');
  const body = await res.json();
  const tbody = $('#stored tbody');
  if (!res.ok) {
    tbody.replaceChildren(el('tr', {}, el('td', { colSpan: 3, textContent: body.error?.message ?? 'could not list' })));
    return;
  }
  $('#storage-kind').textContent = `(${body.storage})`;
  tbody.replaceChildren(
    ...body.files.map((f) => {
      const tr = el(
        'tr',
        {},
        el('td', { className: 'key' }, el('a', { href: f.url, textContent: f.key })),
        el('td', { textContent: fmt(f.size) }),
        el('td', { className: 'sha', textContent: f.sha256 ?? '—' }),
      );
      tr.dataset.key = f.key;
      tr.dataset.sha256 = f.sha256 ?? '';
      tr.dataset.size = String(f.size);
      return tr;
    }),
  );
}

// Uploads an earlier visit left unfinished (kept in IndexedDB: ids, tokens, part checksums, no content).
async function showInterrupted() {
  const list = await queue.restore();
  $('#interrupted-section').hidden = list.length === 0;
  $('#interrupted').replaceChildren(
    ...list.map((u) => {
      const pct = Math.floor((100 * u.bytesStored) / u.size);
      const discard = el('button', { className: 'discard', textContent: 'Discard', onclick: async () => (await queue.discard(u.id), showInterrupted()) });
      const li = el(
        'li',
        {},
        el(
          'div',
          { className: 'row' },
          el('span', { className: 'name', textContent: `${u.name} (${fmt(u.size)})` }),
          el(
            'span',
            {},
            el('span', { className: 'status', textContent: `${pct}% stored · ${new Date(u.updatedAt).toLocaleString()} · pick it again to resume` }),
            discard,
          ),
        ),
      );
      li.dataset.name = u.name;
      li.dataset.id = u.id;
      li.dataset.stored = String(u.bytesStored);
      return li;
    }),
  );
}
showInterrupted();

const drop = $('#drop');
$('#picker').addEventListener('change', (e) => {
  for (const f of e.target.files) startUpload(f);
  e.target.value = '';
});
drop.addEventListener('dragover', (e) => {
  e.preventDefault();
  drop.classList.add('over');
});
drop.addEventListener('dragleave', () => drop.classList.remove('over'));
// Keyboard: the focused drop zone opens the picker, as a click on it does.
drop.addEventListener('keydown', (e) => {
  if (e.key !== 'Enter' && e.key !== ' ') return;
  e.preventDefault();
  $('#picker').click();
});
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  for (const f of e.dataTransfer.files) startUpload(f);
});
$('#pause-all').addEventListener('click', () => queue.pauseAll());
$('#resume-all').addEventListener('click', () => queue.resumeAll());
$('#cancel-all').addEventListener('click', () => queue.cancelAll());
refresh();
