// Imported first by the image benchmark's worker: wraps the WebAssembly entry points so the worker can
// report every WebAssembly.Memory its contender created or exported (their buffers only grow, so the
// byteLength at the end is the peak) and the URL of every .wasm file it fetched (to name the module
// each library picked, e.g. jSquash's SIMD or plain WebP encoder).

const memories = new Map(); // memory -> the .wasm it belongs to ('?' if not known)
const wasmUrls = new Set();

const note = (m, label) => {
  if (!memories.has(m) || memories.get(m) === '?') memories.set(m, label);
};
function noteImports(imports, label = '?') {
  for (const ns of Object.values(imports ?? {})) {
    for (const v of Object.values(ns ?? {})) if (v instanceof WebAssembly.Memory) note(v, label);
  }
}
function noteInstance(instance, label = '?') {
  for (const v of Object.values(instance?.exports ?? {})) if (v instanceof WebAssembly.Memory) note(v, label);
}

const W = WebAssembly;
const { instantiate, instantiateStreaming, Memory, Instance } = W;
W.instantiate = async (source, imports) => {
  noteImports(imports);
  const r = await instantiate.call(W, source, imports);
  noteInstance(r instanceof Instance ? r : r.instance);
  return r;
};
W.instantiateStreaming = async (source, imports) => {
  const res = await source;
  const label = res?.url ? new URL(res.url).pathname : '?';
  if (res?.url) wasmUrls.add(label);
  noteImports(imports, label);
  const r = await instantiateStreaming.call(W, res, imports);
  noteInstance(r.instance, label);
  return r;
};
function TrackedMemory(desc) {
  const m = new Memory(desc);
  note(m, '?');
  return m;
}
TrackedMemory.prototype = Memory.prototype;
W.Memory = TrackedMemory;
function TrackedInstance(module, imports) {
  noteImports(imports);
  const i = new Instance(module, imports);
  noteInstance(i);
  return i;
}
TrackedInstance.prototype = Instance.prototype;
W.Instance = TrackedInstance;

const realFetch = self.fetch;
self.fetch = (input, init) => {
  const url = new URL(typeof input === 'string' || input instanceof URL ? input : input.url, self.location.href);
  if (url.pathname.endsWith('.wasm')) wasmUrls.add(url.pathname);
  return realFetch.call(self, input, init);
};

/**
 * { bytes: sum of all memories' current sizes, count, sizes: [{ wasm, bytes }] (wasm: the file's path
 * when it was instantiated from a fetch), urls: .wasm paths fetched }.
 */
export function wasmReport() {
  const sizes = [...memories].map(([m, wasm]) => ({ wasm, bytes: m.buffer.byteLength }));
  return { bytes: sizes.reduce((a, s) => a + s.bytes, 0), count: sizes.length, sizes, urls: [...wasmUrls].sort() };
}
