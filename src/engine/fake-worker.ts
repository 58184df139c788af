// An in-process stand-in for the engine Worker, for Node tests: EngineClient on one side,
// EngineHost on the other, messages structured-cloned and delivered asynchronously as a real
// Worker would (so ordering and staleness behave the same way).
import { EngineHost } from './engine-host.ts';
import type { SelectOptions } from './backend-select.ts';
import type { WorkerLike } from './client.ts';
import type { EngineEvent, EngineRequest } from './protocol.ts';

type Listener = (event: MessageEvent<EngineEvent>) => void;

export class InProcessWorker implements WorkerLike {
  readonly host: EngineHost;
  /** Every event the host posted, in order (including ones the client dropped as stale). */
  readonly posted: EngineEvent[] = [];
  readonly sent: EngineRequest[] = [];
  private readonly listeners = new Set<Listener>();
  /** Requests posted but not yet handed to the host. */
  private inbox: EngineRequest[] = [];
  terminated = false;

  constructor(selectOverrides: Partial<SelectOptions> = {}) {
    this.host = new EngineHost((event) => {
      this.posted.push(event);
      const copy = structuredClone(event);
      setTimeout(() => { for (const l of this.listeners) l({ data: copy } as MessageEvent<EngineEvent>); }, 0);
    }, selectOverrides);
  }

  postMessage(message: EngineRequest): void {
    if (this.terminated) return;
    this.sent.push(message);
    // Requests posted in one task reach the host together, in order, in one later task: a real
    // Worker has them all queued before it runs again. Delivering each in its own timer let the
    // host start (and stream from) a request that a newer one, posted in the same task, supersedes.
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
