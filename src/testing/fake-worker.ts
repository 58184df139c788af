// The in-page engine with a record of what crossed the boundary, for Node tests: every request
// sent and every event the host posted (including ones the client dropped as stale).
import type { EngineEvent, EngineRequest } from '../engine/api/protocol.ts';
import type { SelectOptions } from '../engine/worker/backend-select.ts';
import { InPageWorker } from '../engine/worker/in-page.ts';

export class InProcessWorker extends InPageWorker {
  readonly posted: EngineEvent[] = [];
  readonly sent: EngineRequest[] = [];

  constructor(selectOverrides: Partial<SelectOptions> = {}) {
    super(selectOverrides);
  }

  protected override deliver(event: EngineEvent): void {
    this.posted.push(event);
    super.deliver(event);
  }

  override postMessage(message: EngineRequest): void {
    if (!this.terminated) this.sent.push(message);
    super.postMessage(message);
  }
}
