export { createUploader, type Uploader, type UploaderOptions, type UploadOptions, type UploadProgress, type UploadPhase } from './uploader.js';
export {
  createUploadQueue,
  crc32cBase64,
  type UploadQueue,
  type QueueOptions,
  type AddOptions,
  type UploadHandle,
  type UploadSnapshot,
  type QueueSnapshot,
  type QueueEvents,
  type UploadState,
  type UploadResult,
  type RetryOptions,
  type TransformOutput,
  type StoredVariant,
} from './queue.js';
export {
  coreReader,
  workerReader,
  type PartReader,
  type PartRead,
  type FileSource,
  type WorkerReaderOptions,
  type CoreReaderOptions,
  type ReadOptions,
} from './reader.js';
export { xhrTransport, fetchTransport, defaultTransport, type Transport, type PutRequest, type PutResponse, type RangeBody } from './transport.js';
export { loadCore, planParts, RetryPolicy, CoreHasher, hashBlob, sniffBlob, type PartPlan } from '../core.js';
export { Vs3Error, type Vs3ErrorCode } from '../errors.js';
export { indexedDbStore, memoryResumeStore, type ResumeStore, type ResumeRecord, type ResumePart, type InterruptedUpload } from './resume.js';
export { isActiveType } from '../sniff.js';
