// @vs3/react: React hooks and components for vs3 uploads.
//   useUpload(route)        one or more files through a route: upload, files, progress, pause, cancel, ...
//   useUploadQueue()        the whole queue and its controls; useUploadQueueSelector(): one slice of it
//   useDropzone()           drag and drop (folders too), paste, keyboard-accessible picking, checks
//   <UploadButton>, <UploadDropzone>   unstyled components with data-state attributes
//   <Vs3Provider>           one queue shared by the hooks below it
//   generateReactHelpers<typeof routes>()   all of the above typed from the server's routes
export { Vs3Provider, type Vs3ProviderProps, useVs3Context, type Vs3ContextValue, DEFAULT_ENDPOINT } from './provider.js';
export { useUpload, type UseUploadOptions, type UseUploadResult, type UploadCallOptions } from './use-upload.js';
export { useUploadQueue, useUploadQueueSelector, type UseUploadQueueOptions, type UseUploadQueueResult } from './use-upload-queue.js';
export { useDropzone, type UseDropzoneOptions, type UseDropzoneResult } from './use-dropzone.js';
export { UploadButton, UploadDropzone, type UploadComponentProps, type UploadState } from './components.js';
export { generateReactHelpers, type ReactHelpers, type ReactHelpersOptions, type TypedComponentProps } from './helpers.js';
export { useRouteRules, fetchRouteRules, checkFiles, matchesTypes, acceptOf, formatBytes, type RouteRules, type FileRejection } from './rules.js';
export { QueueHolder, EMPTY_SNAPSHOT } from './store.js';
export type { AnyRoutes, RouteMetadata, RouteResult, TypedUploadResult, UploadFile } from './types.js';
