export {
  createHandler,
  memoryCompletions,
  type HandlerOptions,
  type Vs3Handler,
  type CorsOptions,
  type CompletionStore,
  type RateLimitOptions,
  type RateLimitedEndpoint,
} from './handler.js';
export {
  defineRoute,
  sanitizeFileName,
  MIN_PART_SIZE,
  MAX_PART_SIZE,
  MAX_PARTS,
  MULTIPART_LIMIT,
  SINGLE_PUT_LIMIT,
  type RouteConfig,
  type FileInfo,
  type KeyContext,
  type CompleteContext,
  type DedupeIndex,
  type DedupeContext,
  type AnyRouteConfig,
  type SizeLike,
  type ObjectOptions,
  type ScanContext,
} from './routes.js';
export { s3Storage, SHA256_META, type S3Options, type S3Driver } from './s3.js';
export { localStorage, memoryStore, readExactly, readVerifiedPart, type BlobStore, type LocalOptions, type PutMeta, type StoredUpload } from './local.js';
export { nextRouteHandlers, type NextRouteHandler, type NextRouteHandlers, type NextRouteOptions } from './next.js';
export { cleanup, type CleanupOptions, type CleanupResult } from './cleanup.js';
export { crc32c, crc32cToBase64, crc32cFromBase64 } from '../crc32c.js';
export type {
  StorageDriver,
  StoredObject,
  PresignPutInput,
  PresignedRequest,
  DriverContext,
  CreateMultipartInput,
  PresignPartInput,
  StoredPart,
  CompleteMultipartInput,
  MultipartUpload,
  DownloadOptions,
} from './storage.js';
export { Vs3Error, type Vs3ErrorCode } from '../errors.js';
export {
  memoryRateLimits,
  type RateLimitRule,
  type RateLimitResult,
  type RateLimitStore,
  type MemoryRateLimitStore,
} from './ratelimit.js';
export { redisRateLimits, redisCompletions, type RedisCommands, type RedisCompletionStore } from './redis.js';
