// <Vs3Provider>: one upload queue shared by every hook and component below it (one engine, one
// worker pool, one concurrency budget for the whole page section), created on first use in the
// browser only and shut down when the provider unmounts.
import { createContext, type ReactNode, useContext, useEffect, useRef } from 'react';
import type { QueueOptions } from 'vs3/client';
import { QueueHolder } from './store.js';

/** Where the handler is mounted when neither a provider nor the hook says. */
export const DEFAULT_ENDPOINT = '/api/vs3';

/** What a provider shares with the hooks below it. */
export interface Vs3ContextValue {
  /** The handler's mount point. */
  endpoint: string;
  /** The shared queue (created on first use). */
  holder: QueueHolder;
}

const Ctx = createContext<Vs3ContextValue | null>(null);

/** The provider's queue and endpoint, or null outside a provider. */
export function useVs3Context(): Vs3ContextValue | null {
  return useContext(Ctx);
}

/** Props of {@link Vs3Provider}. */
export interface Vs3ProviderProps {
  /** Where the vs3 handler is mounted. Default "/api/vs3". */
  endpoint?: string;
  /** Options of the queue (concurrency, part size, headers for auth, retry, persist, ...), read when it is created. */
  options?: Omit<QueueOptions, 'endpoint'>;
  /** The subtree whose hooks share the queue. */
  children?: ReactNode;
}

/**
 * Shares one upload queue with every vs3 hook below it. Without a provider each useUpload has a
 * queue of its own. The queue is made on the first upload (never on the server) and disposed when
 * the provider unmounts: unfinished uploads are cancelled then.
 */
export function Vs3Provider({ endpoint = DEFAULT_ENDPOINT, options, children }: Vs3ProviderProps): ReactNode {
  const latest = useRef({ endpoint, options });
  latest.current = { endpoint, options };
  const ref = useRef<Vs3ContextValue | null>(null);
  // A new endpoint, a new queue; the effect below shuts the old one down.
  if (!ref.current || ref.current.endpoint !== endpoint) {
    ref.current = { endpoint, holder: new QueueHolder(() => ({ ...latest.current.options, endpoint: latest.current.endpoint })) };
  }
  const holder = ref.current.holder;
  useEffect(() => {
    holder.retain();
    return () => holder.release();
  }, [holder]);
  return <Ctx.Provider value={ref.current}>{children}</Ctx.Provider>;
}

/**
 * The queue a hook uses: its Vs3Provider's when that serves `endpoint`, else one of its own (made on
 * first use, shut down when the component unmounts; `keep()` read then says whether uploads in
 * progress go on to the end). `shared` tells which.
 */
export function useQueueHolder(
  endpointOption: string | undefined,
  queue: () => Omit<QueueOptions, 'endpoint'> | undefined,
  keep: () => boolean = () => false,
): { holder: QueueHolder; shared: boolean } {
  const ctx = useVs3Context();
  const endpoint = endpointOption ?? ctx?.endpoint ?? DEFAULT_ENDPOINT;
  const latest = useRef({ queue, keep });
  latest.current = { queue, keep };
  const own = useRef<{ endpoint: string; holder: QueueHolder } | null>(null);
  const shared = ctx !== null && ctx.endpoint === endpoint;
  if (!shared && (!own.current || own.current.endpoint !== endpoint))
    own.current = { endpoint, holder: new QueueHolder(() => ({ ...latest.current.queue(), endpoint })) };
  const holder = shared ? ctx.holder : own.current!.holder;
  useEffect(() => {
    if (shared) return;
    holder.retain();
    return () => holder.release(latest.current.keep());
  }, [holder, shared]);
  return { holder, shared };
}
