// What the handler needs from a storage backend.

export interface PresignPutInput {
  key: string;
  /** Recorded with the object (StoredObject.upload), signed: which upload stored it. */
  uploadTag?: string;
  /**
   * More headers to sign into the URL (S3 names: x-amz-server-side-encryption, cache-control,
   * content-disposition, x-amz-tagging, x-amz-meta-*), from the route's `object` options. Drivers
   * that cannot store them ignore them.
   */
  objectHeaders?: Record<string, string>;
  size: number;
  contentType: string;
  sha256?: string | undefined;
  /** Seconds. */
  expiresIn: number;
}

export interface PresignedRequest {
  method: 'PUT';
  url: string;
  /** Headers the client must send as-is (they are signed). Content-Length is signed too but set by the client runtime. */
  headers: Record<string, string>;
  /** Unix milliseconds. */
  expiresAt: number;
}

export interface StoredObject {
  key: string;
  size: number;
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
  lastModified?: string | undefined;
}

/** How a download URL is served (response-header overrides on S3, signed into local URLs). */
export interface DownloadOptions {
  /** Content-Disposition, e.g. 'attachment; filename="a.png"' or 'inline'. */
  disposition?: string;
  /** Served Content-Type instead of the stored one (e.g. application/octet-stream). */
  contentType?: string | undefined;
}

export interface DriverContext {
  /** Absolute URL of the handler's base path, e.g. http://127.0.0.1:5173/api/vs3 */
  baseUrl: string;
  now: number;
}

export interface CreateMultipartInput {
  key: string;
  /** Recorded with the assembled object (StoredObject.upload). */
  uploadTag?: string;
  /** As PresignPutInput.objectHeaders, sent with CreateMultipartUpload. */
  objectHeaders?: Record<string, string>;
  contentType: string;
  /** Recorded as object metadata when the client already knows it. */
  sha256?: string | undefined;
}

export interface PresignPartInput {
  key: string;
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

export interface StoredPart {
  partNumber: number;
  size: number;
  /** As storage reported it (quoted); what CompleteMultipartUpload must quote back. */
  etag: string;
  /** base64 CRC32C when storage reports one (AWS S3, R2, local driver; not Ceph RGW 16). */
  crc32c?: string;
}

export interface CompleteMultipartInput {
  key: string;
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

export interface MultipartUpload {
  key: string;
  uploadId: string;
  initiated?: string | undefined;
}

export interface StorageDriver {
  readonly kind: string;
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
  list?(opts?: { prefix?: string; limit?: number }): Promise<StoredObject[]>;
  createMultipart(input: CreateMultipartInput): Promise<{ uploadId: string }>;
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
  getObject(key: string): Promise<Uint8Array | null>;
  /** For drivers that serve their own URLs under the handler (`${basePath}/local/...`). */
  handle?(request: Request, subpath: string, ctx: DriverContext): Promise<Response>;
}
