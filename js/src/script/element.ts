// <vs3-upload endpoint route name multiple accept required metadata input-id label>: a custom element that
// renders a real <input type="file"> in its light DOM (keyboard, screen readers and <label> work as
// for any file input), upgrades it, and keeps a polite live region saying what the upload is doing.
// Its vs3:* events are dispatched on the element; data-vs3-state is mirrored onto it.
import { keysOf, upgradeInput } from './upgrade.js';

/** Defines <vs3-upload> (once). */
export function defineElement(): void {
  if (typeof customElements === 'undefined' || customElements.get('vs3-upload')) return;
  customElements.define(
    'vs3-upload',
    class extends HTMLElement {
      /** The file input inside. */
      input?: HTMLInputElement;
      /** Keys of the files stored from the current selection. */
      get keys(): string[] {
        return this.input ? keysOf(this.input) : [];
      }
      connectedCallback() {
        if (this.input) return;
        const a = (n: string) => this.getAttribute(n);
        let i = this.querySelector<HTMLInputElement>('input[type=file]');
        if (!i) {
          i = document.createElement('input');
          i.type = 'file';
          for (const n of ['accept', 'multiple', 'required', 'disabled', 'capture']) {
            const v = a(n);
            if (v !== null) i.setAttribute(n, v);
          }
          // input-id: for <label for>; label: an aria-label when there is no <label>.
          const id = a('input-id');
          if (id) i.id = id;
          const label = a('label');
          if (label) i.setAttribute('aria-label', label);
          this.append(i);
        }
        this.input = i;
        const status = document.createElement('span');
        status.setAttribute('role', 'status');
        status.className = 'vs3-status';
        this.append(status);
        // An error stays said until the next selection, whatever finishes after it.
        let err = '';
        const on = (t: string, f: (d: { progress: number; message: string; name: string }) => string) =>
          this.addEventListener(`vs3:${t}`, (e) => (status.textContent = f((e as CustomEvent).detail)));
        on('progress', (d) => err || `Uploading ${Math.floor(d.progress * 100)} %`);
        on('complete', (d) => err || `Uploaded ${d.name}`);
        on('error', (d) => (err = d.message));
        i.addEventListener('change', () => (status.textContent = err = ''));
        const md = a('metadata');
        upgradeInput(i, {
          ...(a('endpoint') ? { endpoint: a('endpoint')! } : {}),
          ...(a('route') ? { route: a('route')! } : {}),
          ...(a('name') ? { name: a('name')! } : {}),
          ...(md ? { metadata: JSON.parse(md) } : {}),
          host: this,
        });
      }
    },
  );
}
