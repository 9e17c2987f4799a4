export { createHandler, type HandlerOptions, type Vs3Handler } from './handler.js';
export { defineRoute, sanitizeFileName, type RouteConfig, type FileInfo, type KeyContext, type CompleteContext } from './routes.js';
export { s3Storage, SHA256_META, type S3Options, type S3Driver } from './s3.js';
export { localStorage, memoryStore, type BlobStore, type LocalOptions, type PutMeta } from './local.js';
export type { StorageDriver, StoredObject, PresignPutInput, PresignedRequest, DriverContext } from './storage.js';
export { Vs3Error, type Vs3ErrorCode } from '../errors.js';
