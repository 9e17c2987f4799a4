'use client';
// TODO: switch to the React hooks once @vs3/react is published:
//   const { UploadButton } = generateReactHelpers<typeof routes>();  // import type { routes } from '@/vs3'
// For now: the plain client, one file at a time.
import { useEffect, useRef, useState } from 'react';
import { createUploader, type Uploader } from 'vs3/client';
import type { routes } from '@/vs3';

type RouteName = keyof typeof routes;

export function Upload() {
  const uploader = useRef<Uploader | null>(null);
  const [status, setStatus] = useState('pick a file');
  const [url, setUrl] = useState<string | null>(null);

  useEffect(() => {
    uploader.current = createUploader({ endpoint: '/api/vs3' });
    return () => {
      uploader.current?.dispose();
      uploader.current = null;
    };
  }, []);

  async function onChange(e: React.ChangeEvent<HTMLInputElement>) {
    const file = e.target.files?.[0];
    if (!file || !uploader.current) return;
    const route: RouteName = 'files';
    setUrl(null);
    try {
      const stored = await uploader.current.upload(file, {
        route,
        onProgress: (p) => setStatus(`${p.phase}: ${Math.round((100 * p.uploaded) / Math.max(1, p.total))} %`),
      });
      setStatus(`stored ${stored.key} (${stored.size} bytes, verified: ${stored.verified})`);
      setUrl(stored.url ?? null);
    } catch (err) {
      setStatus(`failed: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  return (
    <section>
      <input type="file" onChange={onChange} />
      <p data-testid="status">{status}</p>
      {url && (
        <a href={url} download>
          download
        </a>
      )}
    </section>
  );
}
