// Where model files come from: a base URL (fetch), local files the user chose, or in-memory files (tests),
// behind one function so load.ts does not care; and reading one file with progress.
import type { LoadOptions } from './load.ts';

/** The files of an HF folder the loader reads besides its *.safetensors. */
export const HF_FOLDER_FILES: ReadonlySet<string> = new Set(['config.json', 'tokenizer.json', 'tokenizer_config.json', 'model.safetensors.index.json']);

/** Fetches one file of the model directory by name ("config.json", "model.safetensors", ...). */
export type ModelFileFetcher = (name: string, signal?: AbortSignal) => Promise<Response>;

/**
 * The file name of a GGUF source ("https://host/m/model-q4_0.gguf?download=true" → "model-q4_0.gguf"),
 * or undefined when `source` does not name a .gguf file (a model directory, say).
 */
export function ggufFileName(source: string): string | undefined {
  const path = source.replace(/[?#].*$/s, '');
  const name = path.slice(path.lastIndexOf('/') + 1);
  return /\.gguf$/i.test(name) ? name : undefined;
}

/** A single GGUF file rather than a Hugging Face model directory. */
export const isGgufSource = (source: string): boolean => ggufFileName(source) !== undefined;

/**
 * Files under a base URL; a trailing slash is added so names resolve inside the directory. A .gguf
 * URL names a file, not a directory: names resolve next to it, so its own name fetches it.
 */
export function urlFetcher(baseUrl: string): ModelFileFetcher {
  const base = baseUrl.endsWith('/') || isGgufSource(baseUrl) ? baseUrl : `${baseUrl}/`;
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

/**
 * Local files by name (Files the user chose), as a directory: each Response streams from its file
 * on disk as it is read; 404 for anything else.
 */
export function blobFetcher(files: Readonly<Record<string, Blob>>): ModelFileFetcher {
  return async (name, signal) => {
    signal?.throwIfAborted();
    const blob = Object.hasOwn(files, name) ? files[name] : undefined;
    if (!blob) return new Response(null, { status: 404, statusText: 'Not Found' });
    return new Response(blob.slice(0, blob.size), { status: 200, headers: { 'content-length': String(blob.size) } });
  };
}

/** The file's bytes, or undefined on 404; other HTTP errors throw. Reports progress as it streams. */
export async function fetchBytes(fetchFile: ModelFileFetcher, name: string, options: LoadOptions): Promise<Uint8Array | undefined> {
  const res = await fetchFile(name, options.signal);
  if (res.status === 404) return undefined;
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status} ${res.statusText}`);
  // Content-Length counts encoded bytes; with gzip etc. it says nothing about the body we read.
  const header = res.headers.get('content-length');
  const encoding = res.headers.get('content-encoding');
  const identity = encoding === null || encoding === 'identity';
  const totalBytes = identity && header !== null && /^\d+$/.test(header) ? Number(header) : undefined;
  const report = (loadedBytes: number) => options.onProgress?.({ file: name, loadedBytes, ...(totalBytes !== undefined ? { totalBytes } : {}) });
  if (!res.body) {
    const bytes = new Uint8Array(await res.arrayBuffer());
    report(bytes.byteLength);
    return bytes;
  }
  const reader = res.body.getReader();
  // With a known size, stream straight into one buffer: a 1 GB checkpoint must not need 2 GB.
  const whole = totalBytes !== undefined ? new Uint8Array(totalBytes) : undefined;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  report(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (whole) {
      if (loaded + value.byteLength > whole.byteLength) throw new Error(`${name}: server sent more than its Content-Length of ${totalBytes} bytes`);
      whole.set(value, loaded);
    } else {
      chunks.push(value);
    }
    loaded += value.byteLength;
    report(loaded);
  }
  if (whole) {
    if (loaded !== whole.byteLength) throw new Error(`${name}: truncated download, got ${loaded} of ${totalBytes} bytes`);
    return whole;
  }
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) { out.set(c, at); at += c.byteLength; }
  return out;
}
