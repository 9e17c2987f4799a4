// Node runner: vs3 WASM core vs hash-wasm vs WebCrypto vs node:crypto (OpenSSL, native) on one buffer.
import { createHash, webcrypto } from 'node:crypto';
import * as hashwasm from 'hash-wasm';
import { CoreHasher } from 'vs3/core';
import { loadCoreNode } from 'vs3/node';
import { MiB, fillBuffer, formatTable, measure, standardImpls } from './sha256.mjs';

const sizeMiB = Number(process.env.VS3_BENCH_MIB ?? 256);
const rounds = Number(process.env.VS3_BENCH_ROUNDS ?? 3);
const core = await loadCoreNode();
const buf = fillBuffer(sizeMiB * MiB);
const impls = {
  ...standardImpls({ CoreHasher, core, hashwasm, subtle: webcrypto.subtle }),
  'node:crypto createHash (native OpenSSL)': async (b) => createHash('sha256').update(b).digest('hex'),
};
const results = await measure(impls, buf, { rounds });
console.log(formatTable(`Node ${process.version}`, results, sizeMiB));
if (new Set(results.map((r) => r.digest)).size !== 1) process.exitCode = 1;
