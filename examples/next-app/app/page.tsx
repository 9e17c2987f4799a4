import { Uploads } from './upload';

export default function Page() {
  return (
    <main>
      <h1>vs3 on Next.js</h1>
      <p>Files go to local disk through the handler at /api/vs3 (see vs3.ts).</p>
      <Uploads />
    </main>
  );
}
