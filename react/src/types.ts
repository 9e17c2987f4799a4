// End-to-end types: what the React helpers learn from the server's routes (`typeof routes`), so that
// a wrong route name or metadata of the wrong shape is a compile error and results are typed.
import type { UploadResult, UploadSnapshot } from 'vs3/client';
import type { StandardSchemaV1 } from '@standard-schema/spec';
import type { AnyRouteConfig, RouteConfig } from 'vs3/server';

/** The server's routes object (`{ avatars: defineRoute({...}), ... }`), as `typeof routes`. */
export type AnyRoutes = Record<string, AnyRouteConfig>;

/** What the client sends as a route's metadata: the input type of the route's schema (undefined without one). */
export type RouteMetadata<C> = 'metadata' extends keyof C
  ? // biome-ignore lint/suspicious/noExplicitAny: only the schema's input type is taken
    C extends { metadata?: StandardSchemaV1<infer I, any> }
    ? I
    : undefined
  : undefined;

/**
 * What a route's onUploadComplete returns. It reaches the client as JSON: return plain data (a Date
 * arrives as a string).
 */
// biome-ignore lint/suspicious/noExplicitAny: matching any route config; only the result type is taken
export type RouteResult<C> = C extends RouteConfig<any, infer R, any> ? Awaited<R> : unknown;

/** A stored file, with `result` typed as the route's onUploadComplete returns it. */
export type TypedUploadResult<R = unknown> = Omit<UploadResult, 'result'> & {
  /** What the route's onUploadComplete returned. */
  result: R;
};

/** One file of a {@link UseUploadResult}: the queue's snapshot, or a placeholder until the queue accepted it. */
export type UploadFile<R = unknown> = Omit<UploadSnapshot, 'result'> & {
  /** The File (or Blob) given to upload(). */
  readonly file: Blob;
  /** A key for React lists: the same for this file for as long as the hook lists it. */
  readonly key: string;
  /** The completion answer, once done. */
  readonly result?: TypedUploadResult<R>;
};
