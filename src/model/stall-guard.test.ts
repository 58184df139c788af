// The stall guard over a fake fetch that honours its signal the way fetch does (an abort errors the
// body), on a fake clock: a silent server fails with DownloadStalledError, a slow but steady one does not.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DownloadStalledError, stallGuard } from './stall-guard.ts';

/** A fetch whose response comes after `headersMs` and whose body sends `chunks`, one per `everyMs` (Infinity: never). */
function slowServer(headersMs: number, chunks: number, everyMs: number): typeof fetch {
  return (_input, init) => new Promise((resolve, reject) => {
    const signal = init?.signal ?? undefined;
    const timers: ReturnType<typeof setTimeout>[] = [];
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => { controller = c; } });
    signal?.addEventListener('abort', () => {
      timers.forEach(clearTimeout);
      reject(signal.reason);
      try { controller.error(signal.reason); } catch { /* closed already */ }
    }, { once: true });
    if (!Number.isFinite(headersMs)) return; // setTimeout would take Infinity as 0
    timers.push(setTimeout(() => {
      resolve(new Response(body, { status: 200 }));
      for (let i = 1; i <= chunks && Number.isFinite(everyMs); i++) {
        timers.push(setTimeout(() => {
          controller.enqueue(new Uint8Array([i]));
          if (i === chunks) controller.close();
        }, i * everyMs));
      }
    }, headersMs));
  });
}

beforeEach(() => { vi.useFakeTimers(); });
afterEach(() => { vi.useRealTimers(); });

const readAll = async (res: Response) => new Uint8Array(await res.arrayBuffer());

describe('stallGuard', () => {
  it('lets a slow but steady download through: each chunk inside the limit', async () => {
    const fetch = stallGuard(slowServer(900, 5, 900), 1000);
    const reading = fetch('https://x/m.gguf').then(readAll);
    await vi.advanceTimersByTimeAsync(900 * 7);
    expect([...await reading]).toEqual([1, 2, 3, 4, 5]);
  });

  it('a consumer busy between reads (storing a chunk) is not a stall', async () => {
    const fetch = stallGuard(slowServer(0, 3, 1), 1000);
    const res = fetch('https://x/m.gguf');
    await vi.advanceTimersByTimeAsync(10); // every chunk has arrived
    const reader = (await res).body!.getReader();
    const got: number[] = [];
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      got.push(...next.value);
      await vi.advanceTimersByTimeAsync(5000);
    }
    expect(got).toEqual([1, 2, 3]);
  });

  it('fails a response that never comes', async () => {
    const fetch = stallGuard(slowServer(Infinity, 0, 0), 1000);
    const res = fetch('https://x/m.gguf');
    const failed = expect(res).rejects.toBeInstanceOf(DownloadStalledError);
    await vi.advanceTimersByTimeAsync(1001);
    await failed;
  });

  it('fails a body that stops sending, with a message that says so', async () => {
    const fetch = stallGuard(slowServer(10, 3, Infinity), 1000);
    const res = fetch('https://x/m.gguf');
    await vi.advanceTimersByTimeAsync(10);
    const reading = (await res).arrayBuffer();
    const failed = expect(reading).rejects.toThrow('the download stalled: no data for 1 s');
    await vi.advanceTimersByTimeAsync(1001);
    await failed;
  });

  it("the caller's signal still cancels, with the caller's reason", async () => {
    const abort = new AbortController();
    const fetch = stallGuard(slowServer(500, 1, 10), 1000);
    const res = fetch('https://x/m.gguf', { signal: abort.signal });
    const failed = expect(res).rejects.toThrow('cancelled by the user');
    abort.abort(new Error('cancelled by the user'));
    await failed;
    await vi.advanceTimersByTimeAsync(2000); // no stall fires later
  });
});
