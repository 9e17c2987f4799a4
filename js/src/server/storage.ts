// What the handler needs from a storage backend.

/** What the handler asks a driver to sign for a single PUT (StorageDriver.presignPut). */
export interface PresignPutInput {
  /** The object key (validated by the handler). */
  key: string;
  /** Recorded with the object (StoredObject.upload), signed: which upload stored it. */
  uploadTag?: string;
  /**
   * More headers to sign into the URL (S3 names: x-amz-server-side-encryption, cache-control,
   * content-disposition, x-amz-tagging, x-amz-meta-*), from the route's `object` options. Drivers
   * that cannot store them ignore them.
   */
  objectHeaders?: Record<string, string>;
  /** Exact body length in bytes (signed). */
  size: number;
  /** Content-Type the client must send (signed). */
  contentType: string;
  /** The client's SHA-256 (hex) of the file, when it gave one: signed so storage (or the local driver) can verify the bytes. */
  sha256?: string | undefined;
  /** Seconds. */
  expiresIn: number;
}

/** A presigned request the client sends as-is: a single PUT or one part of a multipart upload. */
export interface PresignedRequest {
  /** Always PUT. */
  method: 'PUT';
  /** The signed URL (storage's, or the handler's own under `${basePath}/local/` for the local driver). */
  url: string;
  /** Headers the client must send as-is (they are signed). Content-Length is signed too but set by the client runtime. */
  headers: Record<string, string>;
  /** Unix milliseconds. */
  expiresAt: number;
}

/** What a driver knows about a stored object (StorageDriver.head, list). */
export interface StoredObject {
  /** The object key. */
  key: string;
  /** Bytes. */
  size: number;
  /** The stored Content-Type, when storage reports one. */
  contentType?: string | undefined;
  /**
   * The SHA-256 (hex) of the stored bytes as storage or the driver itself computed it: the local
   * driver hashes while it writes; S3 reports the x-amz-checksum-sha256 it verified (AWS S3, R2; not
   * Ceph RGW). Never the client's word.
   */
  sha256?: string | undefined;
  /** The SHA-256 the client declared (object metadata), when storage could not prove one. */
  claimedSha256?: string | undefined;
  /** The tag of the upload that stored it (PresignPutInput/CreateMultipartInput.uploadTag). */
  upload?: string | undefined;
  /** When it was stored, as storage reports it (an HTTP date or ISO string). */
  lastModified?: string | undefined;
}

/** How a download URL is served (response-header overrides on S3, signed into local URLs). */
export interface DownloadOptions {
  /** Content-Disposition, e.g. 'attachment; filename="a.png"' or 'inline'. */
  disposition?: string;
  /** Served Content-Type instead of the stored one (e.g. application/octet-stream). */
  contentType?: string | undefined;
}

/** The handler's request context passed to driver calls that make URLs. */
export interface DriverContext {
  /** Absolute URL of the handler's base path, e.g. http://127.0.0.1:5173/api/vs3 */
  baseUrl: string;
  /** The handler's clock, unix ms (signatures and expiry are computed from it). */
  now: number;
}

/** What the handler asks a driver to start (StorageDriver.createMultipart). */
export interface CreateMultipartInput {
  /** The object key (validated by the handler). */
  key: string;
  /** Recorded with the assembled object (StoredObject.upload). */
  uploadTag?: string;
  /** As PresignPutInput.objectHeaders, sent with CreateMultipartUpload. */
  objectHeaders?: Record<string, string>;
  /** Content-Type the assembled object is stored with. */
  contentType: string;
  /** Recorded as object metadata when the client already knows it. */
  sha256?: string | undefined;
}

/** What the handler asks a driver to sign for one part (StorageDriver.presignPart). */
export interface PresignPartInput {
  /** The object key the upload was created for. */
  key: string;
  /** Storage's multipart upload id. */
  uploadId: string;
  /** 1-based. */
  partNumber: number;
  /** Exact byte count of this part (signed). */
  size: number;
  /** base64 of the part's big-endian CRC32C (signed). */
  crc32c: string;
  /** Seconds. */
  expiresIn: number;
}

/** A part storage holds for a multipart upload (StorageDriver.listParts). */
export interface StoredPart {
  /** 1-based. */
  partNumber: number;
  /** Bytes. */
  size: number;
  /** As storage reported it (quoted); what CompleteMultipartUpload must quote back. */
  etag: string;
  /** base64 CRC32C when storage reports one (AWS S3, R2, local driver; not Ceph RGW 16). */
  crc32c?: string;
}

/** What the handler asks a driver to assemble (StorageDriver.completeMultipart). */
export interface CompleteMultipartInput {
  /** The object key the upload was created for. */
  key: string;
  /** Storage's multipart upload id. */
  uploadId: string;
  /** Planned object size. */
  size: number;
  /** The parts as listParts reported them, in order 1..n. */
  parts: StoredPart[];
  /** The client's whole-file SHA-256 (the local driver verifies it while assembling). */
  sha256?: string | undefined;
  /** As given at create (drivers that record it at assembly). */
  uploadTag?: string;
}

/** A multipart upload storage holds (started, neither completed nor aborted). */
export interface MultipartUpload {
  /** The object key it will become. */
  key: string;
  /** Storage's upload id. */
  uploadId: string;
  /** When it was started, as storage reports it (ISO 8601); undefined when unknown. */
  initiated?: string | undefined;
}

/**
 * What the handler needs from a storage backend: s3Storage() and localStorage() implement it. The S3
 * driver throws Vs3Error('storage_error', 502) when storage fails or answers unexpectedly.
 */
export interface StorageDriver {
  /** The driver's name, e.g. 's3' or 'local'. */
  readonly kind: string;
  /** Signs a single PUT of exactly input.size bytes (create-only where storage supports If-None-Match). */
  presignPut(input: PresignPutInput, ctx: DriverContext): Promise<PresignedRequest>;
  /** null when there is no such object. Throws on storage failure. */
  head(key: string): Promise<StoredObject | null>;
  /** A time-limited download URL. */
  downloadUrl?(key: string, expiresIn: number, ctx: DriverContext, opts?: DownloadOptions): Promise<string>;
  /**
   * The object's bytes from `start` (default 0) to `end` (exclusive; default the end), streamed;
   * null when there is no such object. For read-back verification and content sniffing.
   */
  read(key: string, range?: { start?: number; end?: number }): Promise<ReadableStream<Uint8Array> | null>;
  /** Deletes an object (gone already is fine). */
  delete(key: string): Promise<void>;
  /** Objects whose key starts with `prefix` (default ''), at most `limit` (S3 default 100); the handler's own .vs3/ objects only when the prefix asks for them. */
  list?(opts?: { prefix?: string; limit?: number }): Promise<StoredObject[]>;
  /** Starts a multipart upload. */
  createMultipart(input: CreateMultipartInput): Promise<{
    /** Storage's id for the new upload. */
    uploadId: string;
  }>;
  /** Signs the PUT of one part: exactly input.size bytes with the signed CRC32C. */
  presignPart(input: PresignPartInput, ctx: DriverContext): Promise<PresignedRequest>;
  /** Every part (all pages), ascending; null when the upload does not exist (completed or aborted). */
  listParts(key: string, uploadId: string): Promise<StoredPart[] | null>;
  /**
   * Assembles the object. false when the upload does not exist (already completed or aborted);
   * throws upload_incomplete (409) when storage refuses the part list.
   */
  completeMultipart(input: CompleteMultipartInput): Promise<boolean>;
  /** false when there was no such upload. */
  abortMultipart(key: string, uploadId: string): Promise<boolean>;
  /** Uploads started and neither completed nor aborted (all pages). */
  listMultipartUploads(prefix?: string): Promise<MultipartUpload[]>;
  /** Small objects the handler keeps for itself (dedupe markers); read whole. */
  putObject(key: string, body: Uint8Array, contentType: string): Promise<void>;
  /** A small object's bytes, whole; null when there is no such object. */
  getObject(key: string): Promise<Uint8Array | null>;
  /** For drivers that serve their own URLs under the handler (`${basePath}/local/...`). */
  handle?(request: Request, subpath: string, ctx: DriverContext): Promise<Response>;
}
