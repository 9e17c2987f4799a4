import { createUploader } from '/vs3/client/index.js';

const uploader = createUploader({ endpoint: '/api/vs3' });
const $ = (s) => document.querySelector(s);
const fmt = (n) => (n < 1024 ? `${n} B` : n < 1024 ** 2 ? `${(n / 1024).toFixed(1)} KiB` : n < 1024 ** 3 ? `${(n / 1024 ** 2).toFixed(1)} MiB` : `${(n / 1024 ** 3).toFixed(2)} GiB`);

function el(tag, props = {}, ...children) {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
}

function startUpload(file) {
  const ac = new AbortController();
  const status = el('span', { className: 'status', textContent: 'queued' });
  const cancel = el('button', { textContent: 'Cancel', onclick: () => ac.abort() });
  const bar = el('progress', { max: 1, value: 0 });
  const li = el('li', {}, el('div', { className: 'row' }, el('span', { className: 'name', textContent: `${file.name} (${fmt(file.size)})` }), el('span', {}, status, cancel)), bar);
  li.dataset.name = file.name;
  $('#uploads').prepend(li);

  uploader
    .upload(file, {
      route: $('#route').value,
      signal: ac.signal,
      onProgress: (p) => {
        const total = p.total || 1;
        // Hashing is the first 30% of the bar, the upload the rest.
        const frac = p.phase === 'hashing' ? 0.3 * (p.hashed / total) : p.phase === 'uploading' ? 0.3 + 0.7 * (p.uploaded / total) : p.phase === 'presigning' ? 0.3 : 1;
        bar.value = frac;
        status.textContent = p.phase === 'hashing' ? `hashing ${Math.round((100 * p.hashed) / total)}%` : p.phase === 'uploading' ? `uploading ${Math.round((100 * p.uploaded) / total)}%${p.attempt > 1 ? ` (attempt ${p.attempt})` : ''}` : p.phase;
      },
    })
    .then((res) => {
      li.classList.add('done');
      li.dataset.key = res.key;
      li.dataset.sha256 = res.sha256 ?? '';
      status.textContent = `stored ✓ ${res.sha256?.slice(0, 12)}…`;
      cancel.remove();
      bar.value = 1;
      refresh();
    })
    .catch((err) => {
      li.classList.add('error');
      li.dataset.error = err.code ?? 'error';
      status.textContent = `${err.code ?? 'error'}: ${err.message}`;
      cancel.remove();
    });
}

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
      const tr = el('tr', {}, el('td', { className: 'key' }, el('a', { href: f.url, textContent: f.key })), el('td', { textContent: fmt(f.size) }), el('td', { className: 'sha', textContent: f.sha256 ?? '—' }));
      tr.dataset.key = f.key;
      tr.dataset.sha256 = f.sha256 ?? '';
      tr.dataset.size = String(f.size);
      return tr;
    }),
  );
}

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
drop.addEventListener('drop', (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  for (const f of e.dataTransfer.files) startUpload(f);
});
refresh();
