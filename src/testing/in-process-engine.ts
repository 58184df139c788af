// An engine over an in-process worker (CPU backend), with the worker kept so a test can see what
// crossed the boundary: the editor's tests use it where the app would start a Worker.
import { EngineClient } from '../engine/api/client.ts';
import type { Engine } from '../engine/index.ts';
import { InProcessWorker } from './fake-worker.ts';

export function inProcessEngine(): { engine: Engine; worker: InProcessWorker } {
  const worker = new InProcessWorker({ hasWebGpu: false });
  return { engine: new EngineClient(worker), worker };
}
