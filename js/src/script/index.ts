// Entry of the drop-in <script src="vs3.js"> build (scripts/build-script.sh bundles it as an IIFE):
// finds vs3-worker.js and vs3core.wasm next to the script (or at its data-vs3-base), upgrades every
// input[type=file][data-vs3-route] now and as they are added (MutationObserver), defines
// <vs3-upload>, holds form submits while uploads run, clears keys on form reset, and publishes
// window.vs3.
import { createUploader, type UploaderOptions } from '../client/uploader.js';
import { createUploadQueue, type QueueOptions } from '../client/queue.js';
import { defineElement } from './element.js';
import { config, holdSubmit, keysOf, onReset, upgradeInput, withDefaults, type ScriptConfig, type UpgradeOptions } from './upgrade.js';

/** Replaced by the build with the package's version. */
declare const __VS3_VERSION__: string;

const SELECTOR = 'input[type=file][data-vs3-route]';

/**
 * Upgrades `el` if it is a file input, else every input[type=file][data-vs3-route] inside it (`opts`
 * over their data-vs3-* attributes). An input upgraded already is left as it is.
 */
function upgrade(el: Element | Document = document, opts?: UpgradeOptions): void {
  if (el instanceof HTMLInputElement && el.type === 'file') upgradeInput(el, opts);
  else for (const i of el.querySelectorAll<HTMLInputElement>(SELECTOR)) upgradeInput(i, opts);
}

/** The automatic pass: only inputs that ask for it (data-vs3-route), `el` itself included. */
function scan(el: Element | Document) {
  if (el instanceof HTMLInputElement && el.matches(SELECTOR)) upgradeInput(el);
  for (const i of el.querySelectorAll<HTMLInputElement>(SELECTOR)) upgradeInput(i);
}

const script = document.currentScript as HTMLScriptElement | null;
// data-vs3-base is resolved against the page, like any URL written in it.
if (script) config.base = script.dataset.vs3Base ?? new URL('.', script.src || location.href).href;

const api = {
  /** The package version this script was built from. */
  version: __VS3_VERSION__,
  upgrade,
  /** Stored keys of an upgraded input. */
  keys: keysOf,
  /** Options every queue the script makes starts from (base, headers, maxInFlight, ...): call before the first upload. */
  configure: (o: ScriptConfig) => void Object.assign(config, o),
  /** createUploadQueue with the script's wasm and hashing worker. */
  createUploadQueue: (o: QueueOptions) => createUploadQueue(withDefaults(o)),
  /** createUploader with the script's wasm and hashing worker. */
  createUploader: (o: UploaderOptions) => createUploader(withDefaults(o)),
};
(window as unknown as { vs3: typeof api }).vs3 = api;

defineElement();
addEventListener('submit', holdSubmit, true);
addEventListener('reset', onReset, true);
scan(document);
document.addEventListener('DOMContentLoaded', () => scan(document));
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) if (n instanceof Element) scan(n);
}).observe(document.documentElement, { childList: true, subtree: true });
