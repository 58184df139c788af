// A download that stops sending bytes without closing the connection (a dropped Wi-Fi, a proxy that
// holds the request) would otherwise wait forever: the load shows no progress, and the engine's
// supervisor, hearing nothing, would at last take it for a hung GPU and restart on the CPU. So every
// model file request fails once it has gone DOWNLOAD_STALL_MS with no response or no new bytes,
// with an error that says so; what the cache received is kept, and loading again resumes there.

/** Longest wait for a response, or for the next bytes of its body. Under the supervisor's watchdog (90 s). */
export const DOWNLOAD_STALL_MS = 60_000;

export class DownloadStalledError extends Error {
  override readonly name = 'DownloadStalledError';
  constructor(readonly stallMs: number) {
    super(`the download stalled: no data for ${Math.round(stallMs / 1000)} s`);
  }
}

/**
 * `fetchImpl`, failing with DownloadStalledError when the response, or the next chunk of its body,
 * takes longer than `stallMs`. The caller's signal still cancels it. Only the waits on the server
 * count: a caller busy between two reads (storing a chunk) is not a stall.
 */
export function stallGuard(fetchImpl: typeof fetch, stallMs = DOWNLOAD_STALL_MS): typeof fetch {
  return async (input, init = {}) => {
    const outer = init.signal ?? undefined;
    outer?.throwIfAborted();
    const stop = new AbortController();
    const onAbort = () => stop.abort(outer!.reason);
    outer?.addEventListener('abort', onAbort, { once: true });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arm = () => {
      clearTimeout(timer);
      timer = setTimeout(() => stop.abort(new DownloadStalledError(stallMs)), stallMs);
    };
    const finish = () => {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    };
    const reason = (err: unknown) => (stop.signal.aborted ? stop.signal.reason : err);
    arm();
    let res: Response;
    try {
      res = await fetchImpl(input, { ...init, signal: stop.signal });
    } catch (err) {
      finish();
      throw reason(err);
    }
    if (!res.body) {
      finish();
      return res;
    }
    clearTimeout(timer);
    const reader = res.body.getReader();
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        try {
          arm(); // only while the reader waits on the server: a slow consumer is not a stall
          const next = await reader.read(); // fetch errors its body when its signal aborts
          clearTimeout(timer);
          if (next.done) {
            finish();
            controller.close();
            return;
          }
          controller.enqueue(next.value);
        } catch (err) {
          finish();
          void reader.cancel().catch(() => {});
          controller.error(reason(err));
        }
      },
      cancel(why) {
        finish();
        return reader.cancel(why);
      },
    });
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
}

