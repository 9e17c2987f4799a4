/** Stable, machine-readable error codes shared by server and client. */
export type Vs3ErrorCode =
  // request shape
  | 'invalid_json'
  | 'invalid_request'
  | 'request_too_large'
  | 'method_not_allowed'
  /** POST bodies must be application/json (a cross-site form or text/plain request is refused). */
  | 'unsupported_media_type'
  | 'not_found'
  | 'unknown_route'
  | 'forbidden'
  // file checks
  | 'file_too_large'
  | 'file_too_small'
  | 'invalid_file_type'
  | 'invalid_file_name'
  | 'invalid_metadata'
  | 'invalid_checksum'
  /** The route's key() made a key storage cannot take (from the file name or metadata). */
  | 'invalid_key'
  // signed URLs and tokens
  | 'invalid_signature'
  | 'url_expired'
  | 'invalid_token'
  | 'token_expired'
  // upload body checks
  | 'missing_content_length'
  | 'content_length_mismatch'
  | 'content_type_mismatch'
  | 'checksum_mismatch'
  // completion
  | 'upload_not_found'
  | 'upload_mismatch'
  /** Multipart completion found parts missing or of the wrong size (details: {missing, wrongSize}). */
  | 'upload_incomplete'
  /** The stored bytes are not the declared type (magic bytes), or active content (HTML, SVG, executables) under another type. */
  | 'content_mismatch'
  /** The route's scan hook (e.g. a virus scanner) refused the stored bytes. */
  | 'content_rejected'
  /** Too many requests from this client for this route and endpoint (Retry-After says when to try again). */
  | 'rate_limited'
  /** The server (the local driver) takes no more concurrent uploads now (Retry-After). */
  | 'too_busy'
  /** An upload URL used again after its object was stored (If-None-Match: the object cannot be replaced). */
  | 'already_stored'
  /** The local driver's upload sent nothing for longer than its idle limit. */
  | 'request_timeout'
  // storage and transport
  | 'storage_error'
  | 'network_error'
  | 'upload_failed'
  | 'aborted'
  // client transport states
  | 'request_stalled'
  | 'retry_exhausted'
  | 'cancelled'
  | 'offline'
  | 'read_failed'
  | 'file_changed'
  /** Resuming: the picked file is not the content the interrupted upload began with (nothing was sent). */
  | 'file_mismatch'
  | 'hash_failed'
  | 'invalid_part_plan'
  // images (vs3/image, the upload option transform)
  /** Not an image the pipeline decodes (HEIC, AVIF, GIF, …; JPEG, PNG and WebP are). */
  | 'unsupported_image'
  /** The image's bytes are damaged: the decoder gave up. */
  | 'corrupt_image'
  /** The image ends before its data does (a cut-off download or copy). */
  | 'truncated_image'
  /** More pixels than the limit (maxPixels, default 100 MP): refused from the header, before decoding. */
  | 'image_too_large'
  /** Decoding would need more memory than the limit (maxMemory). */
  | 'image_memory_limit'
  /** processImage options out of range (quality, sizes, variant names…). */
  | 'bad_image_options'
  /** The encoder failed to write the output. */
  | 'encode_failed'
  /** A variant upload: the route takes none, or the original it belongs to is not stored. */
  | 'variant_not_allowed'
  | 'internal_error';

/**
 * The error vs3 throws and answers with: a stable `code`, a message meant for people, the HTTP
 * `status` and optional `details`. The handler sends it as JSON (`toJSON()`); the client rebuilds it
 * from that answer. Codes, statuses and fixes: docs/errors.md.
 */
export class Vs3Error extends Error {
  /** Always 'Vs3Error'. */
  override readonly name = 'Vs3Error';
  constructor(
    /** What went wrong, machine-readable (see Vs3ErrorCode). */
    readonly code: Vs3ErrorCode,
    message: string,
    /** HTTP status the server answers with (or got, on the client). */
    readonly status = 400,
    /** Extra facts for the caller, sent with the error (e.g. { retryAfter } for rate_limited, { missing, wrongSize } for upload_incomplete). */
    readonly details?: unknown,
  ) {
    super(message);
  }
  /** The handler's error answer body: `{ error: { code, message, details? } }` (details only when set). */
  toJSON() {
    return { error: { code: this.code, message: this.message, ...(this.details === undefined ? {} : { details: this.details }) } };
  }
}

/** The error every client step rejects with when its AbortSignal fires. */
export const abortedError = (message = 'upload aborted') => new Vs3Error('aborted', message, 0);
