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
    const copy = structuredClone(message);
    setTimeout(() => this.host.handle(copy), 0);
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
