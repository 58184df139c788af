// describeRemoteModel for the page: the lookup runs in its own worker (worker/describe-worker.ts), so
// header parsing never blocks the UI thread; where there are no workers (Node: tests, scripts) it
// runs in the calling thread. A caller's own GPU limits are a test's: those run in the calling thread too.
import type { DescribeOptions, RemoteModelInfo } from './remote-model.ts';
import type { DescribeReply, DescribeRequest } from './worker/describe-worker.ts';

export async function describeRemoteModel(source: string, options: DescribeOptions = {}): Promise<RemoteModelInfo> {
  if (typeof Worker === 'undefined' || options.gpu !== undefined) {
    return (await import('./remote-model.ts')).describeRemoteModel(source, options);
  }
  const { signal } = options;
  signal?.throwIfAborted();
  const worker = new Worker(new URL('./worker/describe-worker.ts', import.meta.url), { type: 'module', name: 'spark-describe' });
  try {
    return await new Promise<RemoteModelInfo>((resolve, reject) => {
      signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
      worker.onmessage = (event: MessageEvent<DescribeReply>) => (event.data.ok ? resolve(event.data.info) : reject(new Error(event.data.message)));
      worker.onerror = (event) => reject(new Error(`the model lookup failed: ${event.message || 'its worker did not start'}`));
      const request: DescribeRequest = {
        source, ...(options.hubEndpoint !== undefined ? { hubEndpoint: options.hubEndpoint } : {}), ...(options.allowedHosts ? { allowedHosts: [...options.allowedHosts] } : {}),
        ...(options.quantizeFloats !== undefined ? { quantizeFloats: options.quantizeFloats } : {}),
      };
      worker.postMessage(request);
    });
  } finally {
    worker.terminate();
  }
}
