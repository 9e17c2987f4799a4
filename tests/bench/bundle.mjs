// Bundle sizes: what a browser downloads for vs3's client, React hooks and drop-in script, beside
// UploadThing's React helpers and Uppy (core + S3, and its React package). Each entry below is a
// small program bundled by esbuild (minified, ESM, browser platform, react/react-dom external) and
// gzipped (zlib level 9); files that are shipped as built (the script, the workers, the wasm) are
// measured as they are. The vs3 client starts its hashing worker and loads its wasm by URL, so
// they are separate downloads and separate rows. CSS imports (none expected) load as empty and are
// reported. Prints a table and what each bundle is made of (minified bytes by package).
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, version as esbuildVersion } from 'esbuild';

const root = path.resolve(import.meta.dirname, '../..');
const REACT = ['react', 'react-dom', 'react/*', 'react-dom/*'];
const VS3 = ['vs3', 'vs3/*'];
const UPPY_CORE = ['@uppy/core', '@uppy/core/*'];
const gz = (buf) => gzipSync(buf, { level: 9 }).length;
const kib = (n) => (n / 1024).toFixed(1);
const started = performance.now();

// The package an input file belongs to (its last node_modules segment; vs3's own sources by folder).
const packageOf = (file) => {
  const m = file.match(/.*node_modules\/((?:@[^/]+\/)?[^/]+)/);
  if (m) return m[1];
  if (file.startsWith('js/dist/')) return 'vs3';
  if (file.startsWith('react/dist/')) return '@vs3/react';
  if (file === '<stdin>') return '(entry)';
  return file;
};

const cssSeen = new Set();
const bundle = async (options) => {
  const out = await build({
    absWorkingDir: root,
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    metafile: true,
    logLevel: 'silent',
    loader: { '.css': 'empty' },
    ...options,
  });
  const code = out.outputFiles[0].contents;
  const byPackage = new Map();
  for (const output of Object.values(out.metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      if (file.endsWith('.css')) cssSeen.add(file);
      const pkg = packageOf(file);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
    }
  }
  return { min: code.length, gzip: gz(code), byPackage };
};
const entry = (contents, external = []) => bundle({ stdin: { contents, resolveDir: root, loader: 'js' }, external });
const file = async (rel) => {
  const buf = await readFile(path.join(root, rel));
  return { min: buf.length, gzip: gz(buf) };
};

const hooksBuilt = existsSync(path.join(root, 'react/dist/index.js'));
const VS3_HOOKS = "export { generateReactHelpers, useUpload, UploadButton, UploadDropzone } from '@vs3/react';";
const UPPY_HEADLESS = "export { default as Uppy } from '@uppy/core'; export { default as AwsS3 } from '@uppy/aws-s3';";
// @uppy/react's context, hooks and headless components: the nearest match to vs3's hooks, button and dropzone.
const UPPY_REACT = "export { UppyContextProvider, useDropzone, useFileInput, useUppyState, useUppyEvent, Dropzone, UploadButton } from '@uppy/react';";
// [name, () => sizes]; a row that fails (not built, a missing export) prints why and the rest go on.
const rows = [
  ['vs3 client, main thread (createUploadQueue)', () => entry("export { createUploadQueue } from 'vs3/client';")],
  ['  + its worker (part-worker.js, bundled)', () => bundle({ entryPoints: ['js/dist/client/part-worker.js'] })],
  ['  + the wasm core (vs3core.wasm)', () => file('js/dist/wasm/vs3core.wasm')],
  ['@vs3/react hooks alone (vs3/client external)', () => (hooksBuilt ? entry(VS3_HOOKS, [...REACT, ...VS3]) : null)],
  ['@vs3/react hooks + vs3 client main thread', () => (hooksBuilt ? entry(VS3_HOOKS, REACT) : null)],
  ['vs3 drop-in script (vs3.js as built)', () => file('js/dist/script/vs3.js')],
  ['  + its worker (vs3-worker.js as built)', () => file('js/dist/script/vs3-worker.js')],
  ['  + the wasm core (vs3core.wasm)', () => file('js/dist/script/vs3core.wasm')],
  ['uploadthing/client genUploader (headless)', () => entry("export { genUploader } from 'uploadthing/client';")],
  ['@uploadthing/react helpers', () => entry("export { generateReactHelpers, UploadButton, UploadDropzone } from '@uploadthing/react';", REACT)],
  ['Uppy headless: @uppy/core + @uppy/aws-s3', () => entry(UPPY_HEADLESS)],
  ['@uppy/react alone (@uppy/core external)', () => entry(UPPY_REACT, [...REACT, ...UPPY_CORE])],
  ['Uppy core + aws-s3 + @uppy/react', () => entry(`${UPPY_HEADLESS}\n${UPPY_REACT}`, REACT)],
];

const results = [];
let failed = false;
for (const [name, measure] of rows) {
  try {
    results.push([name, await measure()]);
  } catch (err) {
    failed = true;
    results.push([name, { error: (err.errors?.[0]?.text ?? err.message).split('\n')[0] }]);
  }
}

const version = async (pkg) => JSON.parse(await readFile(path.join(root, 'node_modules', pkg, 'package.json'), 'utf8')).version;
const versions = await Promise.all(
  ['@uploadthing/react', 'uploadthing', '@uppy/core', '@uppy/aws-s3', '@uppy/react', 'react'].map(async (p) => `${p} ${await version(p)}`),
);
console.log(`Bundle sizes — esbuild ${esbuildVersion} (minified, ESM, browser; react/react-dom external), gzip -9, KiB = 1024 B`);
console.log(`  ${versions.join(', ')}`);
const width = Math.max(...rows.map(([n]) => n.length)) + 2;
console.log(`  ${'bundle'.padEnd(width)}${'min KiB'.padStart(9)}${'gzip KiB'.padStart(10)}`);
for (const [name, r] of results) {
  if (r === null) console.log(`  ${name.padEnd(width)}  not measured: react/dist/index.js is not built`);
  else if (r.error) console.log(`  ${name.padEnd(width)}  FAILED: ${r.error}`);
  else console.log(`  ${name.padEnd(width)}${kib(r.min).padStart(9)}${kib(r.gzip).padStart(10)}`);
}
const total = (names) => {
  const picked = names.map((n) => results.find(([name]) => name === n)?.[1]);
  return picked.every((r) => r && !r.error) ? picked.reduce((a, r) => a + r.gzip, 0) : null;
};
const clientTotal = total(rows.slice(0, 3).map(([n]) => n));
const scriptTotal = total(rows.slice(5, 8).map(([n]) => n));
if (clientTotal !== null) console.log(`  vs3 client, all three downloads: ${kib(clientTotal)} KiB gzip`);
if (scriptTotal !== null) console.log(`  vs3 drop-in script, all three downloads: ${kib(scriptTotal)} KiB gzip`);

console.log('\n  what each bundle is made of (minified KiB by package, >= 0.5 KiB):');
for (const [name, r] of results) {
  if (!r?.byPackage) continue;
  const parts = [...r.byPackage]
    .filter(([, n]) => n >= 512)
    .sort((a, b) => b[1] - a[1])
    .map(([p, n]) => `${p} ${kib(n)}`);
  console.log(`  ${name.trim()}: ${parts.join(', ')}`);
}
console.log(
  cssSeen.size
    ? `\n  CSS imports loaded as empty (not counted): ${[...cssSeen].join(', ')}`
    : '\n  no CSS was imported by any bundle (stylesheets, where a package ships one, are not counted)',
);
console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
if (failed) process.exitCode = 1;
