// Type test (tests/js/react.test.mjs runs tsc over it): the helpers learn route names, metadata and
// results from the server's routes. Every @ts-expect-error must be an error, or tsc fails.
import { generateReactHelpers, type TypedUploadResult } from '@vs3/react';
import { defineRoute } from 'vs3/server';
import { z } from 'zod';

// What a server file exports (the app imports it with `import type`).
const routes = {
  avatars: defineRoute({
    maxFileSize: '4MB',
    allowedFileTypes: ['image/*'],
    metadata: z.object({ albumId: z.string(), tags: z.array(z.string()).optional() }),
    onUploadComplete: ({ key, metadata }) => ({ url: `/img/${key}`, album: metadata.albumId, at: 1 }),
  }),
  documents: defineRoute({
    maxFileSize: '1GB',
    onUploadComplete: async () => ({ pages: 3 }),
  }),
  plain: defineRoute({ maxFileSize: '1MB' }),
};

const { useUpload, UploadButton, UploadDropzone } = generateReactHelpers<typeof routes>();

export function Page() {
  const avatars = useUpload('avatars', {
    metadata: { albumId: 'a1' },
    onUploadComplete: (results) => {
      const first = results[0]!;
      const url: string = first.result.url;
      const album: string = first.result.album;
      // @ts-expect-error: no such field in what onUploadComplete returned
      first.result.missing;
      return [url, album];
    },
  });
  void avatars.upload(new Blob(['x']), { metadata: { albumId: 'b', tags: ['t'] } });
  // @ts-expect-error: albumId must be a string
  void avatars.upload(new Blob(['x']), { metadata: { albumId: 1 } });
  // @ts-expect-error: metadata of another shape
  useUpload('avatars', { metadata: { album: 'a1' } });
  // @ts-expect-error: not a route of the server
  useUpload('avatar');
  // @ts-expect-error: a route without a metadata schema takes no metadata
  useUpload('plain', { metadata: { anything: true } });

  const docs = useUpload('documents');
  void docs.upload([new Blob(['x'])]).then((rs: TypedUploadResult<{ pages: number }>[]) => rs[0]?.result.pages.toFixed());
  const pages: number | undefined = docs.files[0]?.result?.result.pages;

  return (
    <>
      <UploadButton route="avatars" metadata={{ albumId: 'x' }} onUploadComplete={(r) => r[0]?.result.url.toUpperCase()} />
      {/* @ts-expect-error: not a route */}
      <UploadButton route="nope" />
      {/* @ts-expect-error: wrong metadata for the route */}
      <UploadDropzone route="avatars" metadata={{ albumId: 5 }} />
      <UploadDropzone route="documents" onUploadComplete={(r) => r.map((x) => x.result.pages + 1)}>
        {(state, u) => `${state} ${u.progress} ${pages}`}
      </UploadDropzone>
    </>
  );
}
