// The engine's dedicated Worker: a thin shell that feeds messages to EngineHost and posts its
// events back. Created by EngineClient with `new Worker(new URL('./worker.ts', import.meta.url))`.
import { EngineHost } from './engine-host.ts';
import type { EngineEvent } from '../api/protocol.ts';

// Worker global scope: postMessage without a target origin, close() ends the worker.
const scope = self as unknown as {
  postMessage(message: EngineEvent): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  close(): void;
};

const host = new EngineHost((event) => scope.postMessage(event));
scope.addEventListener('message', (event) => {
  host.handle(event.data);
  if ((event.data as { type?: unknown } | null)?.type === 'dispose') void host.whenIdle().then(() => scope.close());
});
