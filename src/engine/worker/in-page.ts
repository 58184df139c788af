// The engine in the calling thread: EngineHost behind the same message protocol as the Worker,
// with messages structured-cloned and delivered in later tasks as a Worker would (so ordering,
// staleness and transfer behave the same). The UI never uses it: its thread must not run models.
import type { WorkerLike } from '../api/client.ts';
import type { EngineEvent, EngineRequest } from '../api/protocol.ts';
import type { ChunkStore } from '../../model/cache/chunk-store.ts';
import type { SelectOptions } from './backend-select.ts';
import { EngineHost } from './engine-host.ts';

type Listener = (event: MessageEvent<EngineEvent>) => void;

export class InPageWorker implements WorkerLike {
  readonly host: EngineHost;
  private readonly listeners = new Set<Listener>();
  /** Requests posted but not yet handed to the host. */
  private inbox: EngineRequest[] = [];
  protected terminated = false;

  constructor(selectOverrides: Partial<SelectOptions> = {}, openCacheStore?: () => Promise<ChunkStore | undefined>) {
    this.host = new EngineHost((event) => this.deliver(event), selectOverrides, openCacheStore);
  }

  /** Hands one host event to the listeners, in a later task. */
  protected deliver(event: EngineEvent): void {
    const copy = structuredClone(event);
    setTimeout(() => { for (const l of this.listeners) l({ data: copy } as MessageEvent<EngineEvent>); }, 0);
  }

  postMessage(message: EngineRequest): void {
    if (this.terminated) return;
    // Requests posted in one task reach the host together, in order, in one later task: a real
    // Worker has them all queued before it runs again. Delivering each in its own timer would let
    // the host start (and stream from) a request that a newer one, posted in the same task, supersedes.
    if (this.inbox.length === 0) {
      setTimeout(() => {
        const burst = this.inbox;
        this.inbox = [];
        for (const request of burst) if (!this.terminated) this.host.handle(request);
      }, 0);
    }
    this.inbox.push(structuredClone(message));
  }

  addEventListener(type: 'message' | 'error', listener: Listener | ((event: ErrorEvent) => void)): void {
    if (type === 'message') this.listeners.add(listener as Listener);
  }

  removeEventListener(type: 'message' | 'error', listener: Listener | ((event: ErrorEvent) => void)): void {
    if (type === 'message') this.listeners.delete(listener as Listener);
  }

  terminate(): void {
    this.terminated = true;
    this.host.dispose();
  }
}
