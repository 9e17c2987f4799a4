export { createUploader, type Uploader, type UploaderOptions, type UploadOptions, type UploadProgress, type UploadResult, type UploadPhase } from './uploader.js';
export { workerHasher, coreHasher, type Hasher, type HashOptions, type WorkerHasherOptions } from './hasher.js';
export { xhrTransport, fetchTransport, defaultTransport, type Transport, type PutRequest, type PutResponse } from './transport.js';
export { loadCore, planParts, RetryPolicy, CoreHasher, hashBlob, type PartPlan, type RetryOptions } from '../core.js';
export { Vs3Error, type Vs3ErrorCode } from '../errors.js';
