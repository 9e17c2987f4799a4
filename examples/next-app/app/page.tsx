import { Upload } from './upload';

export default function Page() {
  return (
    <main>
      <h1>vs3 on Next.js</h1>
      <Upload />
    </main>
  );
}
