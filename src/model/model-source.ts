// Where a model comes from, as one string the CLI and (later) the page's picker take:
//   a local folder        public/models/spark-nano       HF layout: config.json, tokenizer.json, *.safetensors
//   a local GGUF file     ./qwen2.5-coder-0.5b-q8_0.gguf
//   a GGUF by URL         https://host/path/model-q4_0.gguf  (http only to a loopback host)
//   a hub repository      org/name[@revision][:file.gguf]
// For a hub id, a repository with config.json loads as an HF folder; otherwise its one .gguf file
// loads, and a repository with several names the one to use after a colon. A path that exists
// locally wins over a hub id of the same spelling (as transformers' from_pretrained does); ./org/name
// forces a local path.
//
// Every source becomes a ModelFileSource: name → Response, with byte ranges, so the loader
// (loadModelFrom) and the format probe (model-format.ts) read a hub repo, a URL, a folder on disk or
// dropped files alike. This module runs in the browser too: no node APIs. Local files are opened by
// the caller (node fs in scripts/, File objects in the page) and passed in as a ModelFileSource.
import { listFiles, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { loadGguf } from './gguf.ts';
import { loadModel, type LoadedModel, type LoadOptions } from './load.ts';
import { bytesReader, type ByteReader } from './byte-reader.ts';
import { fetchBytes, HF_FOLDER_FILES, type ModelFileFetcher } from './model-files.ts';
import { invalid, parseModelSource, type ModelSourceSpec } from './source-spec.ts';
import { stallGuard } from './stall-guard.ts';

export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

export { ACCEPTED_SOURCES, MAX_MODEL_SOURCE_CHARS, parseModelSource, type LocalPathKind, type ModelSourceSpec } from './source-spec.ts';

/** The hub endpoint: the option, else HF_ENDPOINT (passed in by the caller), else huggingface.co. */
export function hubEndpoint(option?: string, env?: string): string {
  const chosen = option || env || DEFAULT_HUB_ENDPOINT;
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    throw new Error(`hub endpoint ${JSON.stringify(chosen)} is not a URL (e.g. ${DEFAULT_HUB_ENDPOINT})`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`hub endpoint ${JSON.stringify(chosen)} must be http(s)`);
  if (url.search || url.hash) throw new Error(`hub endpoint ${JSON.stringify(chosen)} must not have a query or fragment`);
  return url.href.replace(/\/+$/, '');
}

/** A byte range [start, end), end exclusive. */
export interface ByteRange { start: number; end: number }

export interface ModelFileRequest { signal?: AbortSignal; range?: ByteRange }

export interface RemoteFileInfo {
  size: number;
  /** git blob id (absent where the hub does not say); for LFS files the sha256 of the content as well. */
  oid?: string;
  sha256?: string;
}

/** A model's files, wherever they are. */
export interface ModelFileSource {
  /** What messages and the UI name ("org/name@<sha>", a URL, a path). */
  readonly label: string;
  readonly layout: 'hf' | 'gguf';
  /** For layout 'gguf': the file's name, as fetch() takes it. */
  readonly ggufFile?: string;
  /** Files with sizes and hashes when listed up front (the hub); undefined when not known. */
  readonly files?: ReadonlyMap<string, RemoteFileInfo>;
  /** The hub commit the files come from, when pinned. */
  readonly commit?: string;
  /** One file, or one byte range of it (206); a 404 Response when there is no such file. */
  fetch(name: string, request?: ModelFileRequest): Promise<Response>;
}

export interface RemoteSourceOptions {
  /** Hub base URL (hubEndpoint()); default huggingface.co. */
  endpoint?: string;
  /** Replaces globalThis.fetch (tests, a proxy). */
  fetch?: typeof fetch;
  signal?: AbortSignal;
}

const notFound = () => new Response(null, { status: 404, statusText: 'Not Found' });
/** A Range header for [start, end); an end of Infinity asks for everything from start on. */
export const rangeHeaders = (range?: ByteRange): Record<string, string> =>
  (range ? { range: `bytes=${range.start}-${range.end === Infinity ? '' : Math.max(range.start, range.end - 1)}` } : {});

/** A 206 answer's Content-Range ("bytes 0-99/1234"; the total may be "*", unknown): where it starts, and the file's size. */
export function contentRange(res: Response): { start: number; total: number | undefined } | undefined {
  const m = res.status === 206 ? /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(res.headers.get('content-range') ?? '') : null;
  return m ? { start: Number(m[1]), total: m[2] === '*' ? undefined : Number(m[2]) } : undefined;
}

/** Where the hub serves one file of a repository at a commit. */
export const hubFileUrl = (endpoint: string, repo: string, commit: string, name: string): string =>
  `${endpoint}/${repo}/resolve/${encodeURIComponent(commit)}/${name.split('/').map(encodeURIComponent).join('/')}`;

/** A GGUF file by URL (its name is the last path segment). */
export function openUrlSource(spec: Extract<ModelSourceSpec, { kind: 'url' }>, options: RemoteSourceOptions = {}): ModelFileSource {
  const fetchImpl = stallGuard(options.fetch ?? globalThis.fetch);
  return {
    label: spec.url,
    layout: 'gguf',
    ggufFile: spec.fileName,
    fetch: (name, request = {}) => (name !== spec.fileName
      ? Promise.resolve(notFound())
      : fetchImpl(spec.url, { signal: request.signal ?? null, headers: rangeHeaders(request.range) })),
  };
}

/**
 * A hub repository at a revision: the revision is pinned to its commit first (so every file comes
 * from one commit even if the branch moves), then listed; files are fetched from their resolve URLs.
 */
export async function openHubSource(spec: Extract<ModelSourceSpec, { kind: 'hub' }>, options: RemoteSourceOptions = {}): Promise<ModelFileSource> {
  const endpoint = hubEndpoint(options.endpoint);
  const fetchImpl = options.fetch ?? globalThis.fetch;
  const hub = { hubUrl: endpoint, fetch: fetchImpl };
  const asked = `${spec.repo}${spec.revision !== undefined ? `@${spec.revision}` : ''}`;
  const commit = await pinRevision(spec, asked, hub);
  options.signal?.throwIfAborted();

  const files = new Map<string, RemoteFileInfo>();
  try {
    for await (const entry of listFiles({ repo: spec.repo, revision: commit, recursive: true, ...hub })) {
      if (entry.type === 'file') files.set(entry.path, fileInfo(entry));
      options.signal?.throwIfAborted();
    }
  } catch (err) {
    throw hubError(`${asked}: listing the files failed`, endpoint, err);
  }

  let layout: 'hf' | 'gguf';
  let ggufFile: string | undefined;
  const ggufs = [...files.keys()].filter((f) => /\.gguf$/i.test(f)).sort();
  if (spec.file !== undefined) {
    if (!files.has(spec.file)) {
      throw new Error(`${asked}: no file ${JSON.stringify(spec.file)} in the repository${ggufs.length ? ` (its .gguf files: ${listSome(ggufs)})` : ' (it has no .gguf files)'}`);
    }
    [layout, ggufFile] = ['gguf', spec.file];
  } else if (files.has('config.json')) {
    layout = 'hf';
  } else if (ggufs.length === 1) {
    [layout, ggufFile] = ['gguf', ggufs[0]];
  } else if (ggufs.length > 1) {
    throw new Error(`${asked}: the repository has ${ggufs.length} .gguf files; name one as ${spec.repo}${spec.revision !== undefined ? `@${spec.revision}` : ''}:<file> (${listSome(ggufs)})`);
  } else {
    throw new Error(`${asked}: neither config.json nor a .gguf file in the repository (it has ${listSome([...files.keys()].sort()) || 'no files'})`);
  }

  const label = `${spec.repo}@${commit}${ggufFile !== undefined ? `:${ggufFile}` : ''}`;
  const fileFetch = stallGuard(fetchImpl);
  return {
    label, layout, files, commit,
    ...(ggufFile !== undefined ? { ggufFile } : {}),
    fetch: (name, request = {}) => (!files.has(name)
      ? Promise.resolve(notFound())
      : fileFetch(hubFileUrl(endpoint, spec.repo, commit, name), { signal: request.signal ?? null, headers: rangeHeaders(request.range) })),
  };
}

/** The commit sha of the asked revision (default: the main branch), with an error that says what is missing. */
async function pinRevision(spec: Extract<ModelSourceSpec, { kind: 'hub' }>, asked: string, hub: { hubUrl: string; fetch: typeof fetch }): Promise<string> {
  const info = (revision?: string) => modelInfo({ name: spec.repo, ...(revision !== undefined ? { revision } : {}), additionalFields: ['sha'], ...hub });
  let sha: unknown;
  try {
    ({ sha } = await info(spec.revision));
  } catch (err) {
    if (!isHttpError(err)) throw hubError(`${asked}: cannot reach the hub`, hub.hubUrl, err);
    if (spec.revision !== undefined && (await info().then(() => true, () => false))) {
      throw new Error(`${spec.repo}: no revision ${JSON.stringify(spec.revision)} (a branch, tag or commit) on ${hub.hubUrl}; the repository exists`, { cause: err });
    }
    const status = (err as { statusCode: number }).statusCode;
    const hidden = status === 401 || status === 403 ? ', or it is private or gated' : '';
    throw hubError(`${spec.repo}: repository not found on ${hub.hubUrl}${hidden}`, hub.hubUrl, err);
  }
  if (typeof sha !== 'string' || !/^[0-9a-f]{40}$/.test(sha)) throw new Error(`${asked}: the hub at ${hub.hubUrl} answered no commit sha`);
  return sha;
}

const isHttpError = (err: unknown): boolean => typeof (err as { statusCode?: unknown } | null)?.statusCode === 'number';

function hubError(what: string, endpoint: string, err: unknown): Error {
  const status = (err as { statusCode?: unknown } | null)?.statusCode;
  const detail = err instanceof Error ? (err.cause instanceof Error ? `${err.message}: ${err.cause.message}` : err.message) : String(err);
  // @huggingface/hub appends the URL; the endpoint is named once, in front.
  const short = detail.replace(/\.\s*URL: \S+.*$/s, '');
  return new Error(`${what}${typeof status === 'number' ? ` (HTTP ${status}: ${short})` : ` (${endpoint}: ${short})`}`, { cause: err });
}

function fileInfo(entry: ListFileEntry): RemoteFileInfo {
  return { size: entry.lfs?.size ?? entry.size, ...(entry.oid !== undefined ? { oid: entry.oid } : {}), ...(entry.lfs ? { sha256: entry.lfs.oid } : {}) };
}

const listSome = (names: readonly string[], max = 8) =>
  names.slice(0, max).join(', ') + (names.length > max ? `, … (${names.length - max} more)` : '');

/**
 * Opens any source. Local paths need `openLocal` (the caller's file system); without one they are
 * refused with the reason.
 */
export async function openModelSource(
  spec: ModelSourceSpec, options: RemoteSourceOptions & { openLocal?: (spec: Extract<ModelSourceSpec, { kind: 'folder' | 'gguf-file' }>) => Promise<ModelFileSource> } = {},
): Promise<ModelFileSource> {
  switch (spec.kind) {
    case 'hub': return openHubSource(spec, options);
    case 'url': return openUrlSource(spec, options);
    default:
      if (!options.openLocal) throw new Error(`${spec.path}: local paths cannot be opened here (choose the files instead)`);
      return options.openLocal(spec);
  }
}

/**
 * A hub id or URL typed where there is no file system (the page): parsed, then opened; a string
 * that parses as a local path is refused with what to give instead.
 */
export function openRemoteSource(text: string, options: RemoteSourceOptions = {}): Promise<ModelFileSource> {
  const spec = parseModelSource(text);
  if (spec.kind !== 'hub' && spec.kind !== 'url') {
    invalid(text, 'a local path cannot be opened by name here (open the file instead)');
  }
  return openModelSource(spec, options);
}

/**
 * What loading a source downloads, in bytes, before anything is: from the hub's listing (the GGUF
 * file, or an HF folder's config, tokenizer and weights), or a URL's Content-Length (HEAD).
 * Undefined when the server does not say.
 */
export async function downloadSize(source: ModelFileSource, options: Pick<RemoteSourceOptions, 'fetch' | 'signal'> & { url?: string } = {}): Promise<number | undefined> {
  if (source.files) {
    const wanted = (name: string) => (source.layout === 'gguf'
      ? name === source.ggufFile
      : !name.includes('/') && (/\.safetensors$/i.test(name) || HF_FOLDER_FILES.has(name)));
    return [...source.files].reduce((sum, [name, info]) => sum + (wanted(name) ? info.size : 0), 0);
  }
  if (options.url === undefined) return undefined;
  const fetchImpl = options.fetch ?? globalThis.fetch;
  let res: Response;
  try {
    res = await fetchImpl(options.url, { method: 'HEAD', signal: options.signal ?? null });
  } catch (err) {
    throw new Error(`${options.url}: cannot reach the server (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (!res.ok) throw new Error(`${options.url}: HTTP ${res.status} ${res.statusText}`.trimEnd());
  const length = res.headers.get('content-length');
  return length !== null && /^\d+$/.test(length) ? Number(length) : undefined;
}

/** The loader's view of a source: whole files by name. */
export const sourceFetcher = (source: ModelFileSource): ModelFileFetcher => (name, signal) => source.fetch(name, signal ? { signal } : {});

/**
 * Loads the model a source holds into memory: an HF folder file by file, a GGUF by byte ranges
 * (its header, then each tensor), so the file is never held whole.
 */
export async function loadModelFrom(source: ModelFileSource, options: LoadOptions = {}): Promise<LoadedModel> {
  const label = options.label ?? source.label;
  if (source.layout === 'gguf') {
    const fileName = source.ggufFile ?? 'model.gguf';
    const reader = await openFileReader(source, fileName, options);
    return loadGguf(reader, { ...options, label, fileName });
  }
  return loadModel(sourceFetcher(source), { ...options, label });
}

/**
 * One file of a source, read by byte range. Its size comes from the listing, else from the first
 * range answer's Content-Range. A server that ignores Range (200) gets the file downloaded whole
 * once, with progress, and read from memory.
 */
export async function openFileReader(source: ModelFileSource, name: string, options: Pick<LoadOptions, 'signal' | 'onProgress'> = {}): Promise<ByteReader> {
  const { signal } = options;
  let size = source.files?.get(name)?.size;
  if (size === undefined) {
    const probe = await source.fetch(name, { range: { start: 0, end: 1 }, ...(signal ? { signal } : {}) });
    const total = contentRange(probe)?.total;
    if (total !== undefined) {
      await probe.body?.cancel();
      size = total;
    } else if (probe.status === 416) {
      size = 0;
    } else if (probe.ok) {
      await probe.body?.cancel();
      const whole = await fetchBytes(sourceFetcher(source), name, options);
      if (!whole) throw new Error(`${source.label}: ${name} not found`);
      return bytesReader(whole);
    } else {
      await probe.body?.cancel();
      throw new Error(probe.status === 404 ? `${source.label}: ${name} not found` : `${source.label}: ${name}: HTTP ${probe.status} ${probe.statusText}`.trimEnd());
    }
  }
  const fileSize = size;
  return {
    size: fileSize,
    read: async (start, end, readSignal) => {
      if (end > fileSize || start > end) throw new RangeError(`byte range [${start}, ${end}) is outside ${name}'s ${fileSize} bytes`);
      if (start === end) return new Uint8Array(0);
      const bytes = await readRange(source, name, { start, end }, readSignal ?? signal);
      if (bytes.byteLength !== end - start) throw new Error(`${source.label}: ${name}: got ${bytes.byteLength} of ${end - start} bytes at ${start}; the file is shorter than its listed ${fileSize} bytes`);
      return bytes;
    },
  };
}

/** Bytes [start, end) of a file (clamped to its end); a server that ignores Range is sliced here. */
export async function readRange(source: ModelFileSource, name: string, range: ByteRange, signal?: AbortSignal): Promise<Uint8Array> {
  const res = await source.fetch(name, { range, ...(signal ? { signal } : {}) });
  if (res.status === 416) return new Uint8Array(0);
  if (!res.ok) throw new Error(`${source.label}: ${name}: HTTP ${res.status} ${res.statusText}`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  return res.status === 206 ? bytes.subarray(0, range.end - range.start) : bytes.subarray(range.start, range.end);
}
