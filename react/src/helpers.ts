// generateReactHelpers<typeof routes>(): the hooks and components typed from the server's routes, so
// route names, each route's metadata and what its onUploadComplete returns are checked at compile
// time. At run time they are the plain hooks with the endpoint filled in.
import { createElement, type ReactNode } from 'react';
import { type UploadComponentProps, UploadButton, UploadDropzone } from './components.js';
import type { AnyRoutes, RouteMetadata, RouteResult } from './types.js';
import { type UseUploadOptions, type UseUploadResult, useUpload } from './use-upload.js';

/** Options of {@link generateReactHelpers}. */
export interface ReactHelpersOptions {
  /** Where the handler is mounted. Default: the surrounding Vs3Provider's, else "/api/vs3". */
  endpoint?: string;
}

/** Props of a typed component for route `K` of `Routes`. */
export type TypedComponentProps<Routes extends AnyRoutes, K extends keyof Routes & string> = Omit<
  UploadComponentProps<RouteMetadata<Routes[K]>, RouteResult<Routes[K]>>,
  'route'
> & {
  /** The route to upload through (one of the server's). */
  route: K;
};

/** What {@link generateReactHelpers} returns: useUpload, UploadButton and UploadDropzone typed by the routes. */
export interface ReactHelpers<Routes extends AnyRoutes> {
  /** {@link useUpload}, with the route name, metadata and result typed. */
  useUpload<K extends keyof Routes & string>(
    route: K,
    options?: UseUploadOptions<RouteMetadata<Routes[K]>, RouteResult<Routes[K]>>,
  ): UseUploadResult<RouteMetadata<Routes[K]>, RouteResult<Routes[K]>>;
  /** {@link UploadButton}, typed. */
  UploadButton<K extends keyof Routes & string>(props: TypedComponentProps<Routes, K>): ReactNode;
  /** {@link UploadDropzone}, typed. */
  UploadDropzone<K extends keyof Routes & string>(props: TypedComponentProps<Routes, K>): ReactNode;
}

/**
 * The hooks and components typed from your routes: `generateReactHelpers<typeof routes>()` where
 * `routes` is the object given to createHandler (import it with `import type`: no server code reaches
 * the browser). A wrong route name or metadata is a compile error; results are typed.
 */
export function generateReactHelpers<Routes extends AnyRoutes>(options: ReactHelpersOptions = {}): ReactHelpers<Routes> {
  const withEndpoint = <T extends { endpoint?: string }>(o: T): T => (options.endpoint && o.endpoint === undefined ? { ...o, endpoint: options.endpoint } : o);
  return {
    useUpload: (route, o = {}) => useUpload(route, withEndpoint(o)),
    // biome-ignore lint/correctness/noComponentHookFactories: made once per app (module level), like UploadThing's helpers
    UploadButton: (props) => createElement(UploadButton, withEndpoint(props) as never),
    // biome-ignore lint/correctness/noComponentHookFactories: as above
    UploadDropzone: (props) => createElement(UploadDropzone, withEndpoint(props) as never),
  };
}
