// Where model files come from: a base URL (fetch), or in-memory files (tests, drag-and-drop),
// behind one function so load.ts does not care.

/** Fetches one file of the model directory by name ("config.json", "model.safetensors", ...). */
export type ModelFileFetcher = (name: string, signal?: AbortSignal) => Promise<Response>;

/** Files under a base URL; a trailing slash is added so names resolve inside the directory. */
export function urlFetcher(baseUrl: string): ModelFileFetcher {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const root = typeof location !== 'undefined' ? location.href : undefined;
  return (name, signal) => fetch(new URL(name, new URL(base, root)), { signal: signal ?? null });
}

/** Serves an in-memory {name: bytes} map as if it were a directory: 404 for anything else. */
export function memoryFetcher(files: Readonly<Record<string, Uint8Array>>): ModelFileFetcher {
  return async (name, signal) => {
    signal?.throwIfAborted();
    const bytes = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!bytes) return new Response(null, { status: 404, statusText: 'Not Found' });
    return new Response(bytes.slice(), { status: 200, headers: { 'content-length': String(bytes.byteLength) } });
  };
}
