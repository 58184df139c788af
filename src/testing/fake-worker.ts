// The in-page engine with a record of what crossed the boundary, for Node tests: every request
// sent and every event the host posted (including ones the client dropped as stale). It can also
// crash (fire the Worker 'error' event) and hang (swallow requests of chosen types).
import type { EngineEvent, EngineRequest } from '../engine/api/protocol.ts';
import type { SelectOptions } from '../engine/worker/backend-select.ts';
import type { ChunkStore } from '../model/cache/chunk-store.ts';
import { InPageWorker } from '../engine/worker/in-page.ts';

type MessageListener = (event: MessageEvent<EngineEvent>) => void;
type ErrorListener = (event: ErrorEvent) => void;

export class InProcessWorker extends InPageWorker {
  readonly posted: EngineEvent[] = [];
  readonly sent: EngineRequest[] = [];
  /** Requests of these types never reach the host: a worker stuck in a backend call. */
  readonly swallow = new Set<EngineRequest['type']>();
  private readonly errorListeners = new Set<ErrorListener>();

  constructor(selectOverrides: Partial<SelectOptions> = {}, openCacheStore?: () => Promise<ChunkStore | undefined>) {
    super(selectOverrides, openCacheStore);
  }

  get isTerminated(): boolean {
    return this.terminated;
  }

  /** What a real Worker does when its script throws at top level: an 'error' event. */
  crash(message: string): void {
    this.terminate();
    for (const l of this.errorListeners) l({ message } as ErrorEvent);
  }

  protected override deliver(event: EngineEvent): void {
    this.posted.push(event);
    super.deliver(event);
  }

  override postMessage(message: EngineRequest): void {
    if (this.terminated) return;
    this.sent.push(message);
    if (this.swallow.has(message.type)) return;
    super.postMessage(message);
  }

  override addEventListener(type: 'message' | 'error', listener: MessageListener | ErrorListener): void {
    if (type === 'error') this.errorListeners.add(listener as ErrorListener);
    else super.addEventListener(type, listener);
  }

  override removeEventListener(type: 'message' | 'error', listener: MessageListener | ErrorListener): void {
    if (type === 'error') this.errorListeners.delete(listener as ErrorListener);
    else super.removeEventListener(type, listener);
  }
}
