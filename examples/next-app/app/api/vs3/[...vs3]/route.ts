// Every vs3 endpoint under /api/vs3: presign, complete, multipart, routes, and the local driver's
// own upload and download URLs (PUT, GET, HEAD). Behind a proxy that appends the client's address to
// X-Forwarded-For (Vercel, nginx), pass { trustProxy: true } so rate limits see real addresses.
import { nextRouteHandlers } from 'vs3/server';
import { handler } from '@/vs3';

export const { GET, POST, PUT, HEAD, OPTIONS } = nextRouteHandlers(handler);
