// Imported first by the image benchmark's worker: wraps the WebAssembly entry points so the worker can
// report every WebAssembly.Memory its contender created or exported (their buffers only grow, so the
// byteLength at the end is the peak) and the URL of every .wasm file it fetched (to name the module
// each library picked, e.g. jSquash's SIMD or plain WebP encoder).

const memories = new Set();
const wasmUrls = new Set();

function noteImports(imports) {
  for (const ns of Object.values(imports ?? {})) {
    for (const v of Object.values(ns ?? {})) if (v instanceof WebAssembly.Memory) memories.add(v);
  }
}
function noteInstance(instance) {
  for (const v of Object.values(instance?.exports ?? {})) if (v instanceof WebAssembly.Memory) memories.add(v);
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
  noteImports(imports);
  const res = await source;
  if (res?.url) wasmUrls.add(new URL(res.url).pathname);
  const r = await instantiateStreaming.call(W, res, imports);
  noteInstance(r.instance);
  return r;
};
function TrackedMemory(desc) {
  const m = new Memory(desc);
  memories.add(m);
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

/** { bytes: sum of all memories' current sizes, count, urls: .wasm paths fetched }. */
export function wasmReport() {
  let bytes = 0;
  for (const m of memories) bytes += m.buffer.byteLength;
  return { bytes, count: memories.size, urls: [...wasmUrls].sort() };
}
