// What the handler needs from a storage backend.

export interface PresignPutInput {
  key: string;
  size: number;
  contentType: string;
  sha256?: string;
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
  contentType?: string;
  sha256?: string;
  lastModified?: string;
}

export interface DriverContext {
  /** Absolute URL of the handler's base path, e.g. http://127.0.0.1:5173/api/vs3 */
  baseUrl: string;
  now: number;
}

export interface StorageDriver {
  readonly kind: string;
  presignPut(input: PresignPutInput, ctx: DriverContext): Promise<PresignedRequest>;
  /** null when there is no such object. Throws on storage failure. */
  head(key: string): Promise<StoredObject | null>;
  /** A time-limited download URL. */
  downloadUrl?(key: string, expiresIn: number, ctx: DriverContext): Promise<string>;
  list?(opts?: { prefix?: string; limit?: number }): Promise<StoredObject[]>;
  /** For drivers that serve their own URLs under the handler (`${basePath}/local/...`). */
  handle?(request: Request, subpath: string, ctx: DriverContext): Promise<Response>;
}
