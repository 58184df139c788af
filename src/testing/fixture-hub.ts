// A local stand-in for the Hugging Face hub, for tests that cannot reach the internet: node http on
// 127.0.0.1 (a random free port, or a fixed one), serving repositories given as in-memory file maps under the hub's
// own URL layout, so @huggingface/hub and our loaders talk to it exactly as to huggingface.co:
//   GET  /api/models/<org>/<repo>/revision/<rev>            modelInfo: { id, sha, siblings, ... }
//   GET  /api/models/<org>/<repo>/tree/<rev>[/<dir>]        listFiles: [{ type, oid, size, path, lfs? }],
//                                                           paginated with a Link: <...>; rel="next" header
//   GET|HEAD /<org>/<repo>/resolve/<rev>/<file>             the bytes; Range → 206 + Content-Range,
//                                                           416 past the end; ETag; X-Repo-Commit
// A test can cut or stall the next download part way (interruptNext) or turn Range support off.
// A revision is a branch name given by the test or the commit sha the server derives from the
// files, as on the hub. Errors carry the hub's X-Error-Code (RepoNotFound, RevisionNotFound,
// EntryNotFound) and a JSON { error } body, which @huggingface/hub turns into its message.
//
// Bounded: loopback only, a capped connection count, request bodies never read, and the request
// log keeps the most recent entries only. dispose() closes every connection.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A file map: path in the repo → bytes. */
export type FixtureFiles = Readonly<Record<string, Uint8Array>>;

/** One repository: revision (branch) name → its files. "main" is what an unpinned client asks for. */
export type FixtureRepo = Readonly<Record<string, FixtureFiles>>;

export interface FixtureHubOptions {
  /** Entries per page of the tree listing (default 1000, as the hub). Small values exercise pagination. */
  pageSize?: number;
  /** Files at least this big are listed as LFS files (default 1 MiB; *.safetensors and *.gguf always are). */
  lfsThreshold?: number;
  /** The loopback port to listen on (default: a free one). A page's CSP must name a fixed one. */
  port?: number;
}

export interface FixtureRequest {
  method: string;
  /** Path and query as requested. */
  url: string;
  range?: string;
  status: number;
}

const MAX_CONNECTIONS = 64;
const MAX_LOG = 500;
const LFS_ALWAYS = /\.(safetensors|gguf|bin)$/i;

interface StoredFile { bytes: Uint8Array; oid: string; sha256: string }
interface StoredRevision { sha: string; files: ReadonlyMap<string, StoredFile> }

const sha1 = (data: Uint8Array | string) => createHash('sha1').update(data).digest('hex');
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

/** git's blob id, which the hub reports as a file's oid. */
const gitBlobOid = (bytes: Uint8Array) => createHash('sha1').update(`blob ${bytes.byteLength}\0`).update(bytes).digest('hex');

function storeRevision(repoId: string, files: FixtureFiles): StoredRevision {
  const stored = new Map<string, StoredFile>();
  const commit = createHash('sha1').update(repoId);
  for (const name of Object.keys(files).sort()) {
    const bytes = files[name]!;
    const file = { bytes, oid: gitBlobOid(bytes), sha256: sha256(bytes) };
    stored.set(name, file);
    commit.update(`${name}\0${file.oid}\0`);
  }
  return { sha: commit.digest('hex'), files: stored };
}

export class FixtureHub {
  /** Base URL, e.g. "http://127.0.0.1:41234" (what --hub-endpoint / HF_ENDPOINT / hubUrl take). */
  readonly url: string;
  private readonly repos = new Map<string, Map<string, StoredRevision>>();
  private readonly log: FixtureRequest[] = [];
  private disposed = false;
  /** The next file download ends early: cut (the connection closes) or stalled (it hangs until the client aborts). */
  private interruption: { afterBytes: number; mode: 'cut' | 'stall' } | undefined;
  /** When false, Range headers are ignored (200 with the whole file), as some servers do. */
  acceptRanges = true;

  private constructor(private readonly server: Server, private readonly options: Required<Omit<FixtureHubOptions, 'port'>>) {
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  /** Starts a hub serving `repos` ("org/name" → revisions). Dispose it when done. */
  static async start(repos: Readonly<Record<string, FixtureRepo>> = {}, options: FixtureHubOptions = {}): Promise<FixtureHub> {
    const server = createServer();
    server.maxConnections = MAX_CONNECTIONS;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, '127.0.0.1', () => { server.off('error', reject); resolve(); });
    });
    const hub = new FixtureHub(server, { pageSize: options.pageSize ?? 1000, lfsThreshold: options.lfsThreshold ?? 1 << 20 });
    server.on('request', (req, res) => hub.handle(req, res));
    for (const [id, repo] of Object.entries(repos)) hub.addRepo(id, repo);
    return hub;
  }

  /** Adds (or replaces) a repository. Returns each revision's commit sha by revision name. */
  addRepo(id: string, revisions: FixtureRepo): Record<string, string> {
    if (!/^[\w.-]+\/[\w.-]+$/.test(id)) throw new Error(`fixture hub: repo id ${JSON.stringify(id)} is not "org/name"`);
    const byName = new Map<string, StoredRevision>();
    const shas: Record<string, string> = {};
    for (const [name, files] of Object.entries(revisions)) {
      const rev = storeRevision(id, files);
      byName.set(name, rev);
      shas[name] = rev.sha;
    }
    this.repos.set(id, byName);
    return shas;
  }

  /** The requests served so far (the most recent MAX_LOG), oldest first. */
  get requests(): readonly FixtureRequest[] {
    return this.log;
  }

  /**
   * The next GET of a file sends `afterBytes` bytes of its body, then closes the connection ('cut')
   * or sends nothing more ('stall') until the client gives up: an interrupted download. Responses
   * of `afterBytes` or fewer (a header read by range) go through whole and leave the cut waiting.
   */
  interruptNext(afterBytes: number, mode: 'cut' | 'stall' = 'cut'): void {
    this.interruption = { afterBytes, mode };
  }

  clearRequests(): void {
    this.log.length = 0;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeAllConnections();
    await closed;
  }

  private revision(repoId: string, rev: string): StoredRevision | undefined {
    const repo = this.repos.get(repoId);
    if (!repo) return undefined;
    return repo.get(rev) ?? [...repo.values()].find((r) => r.sha === rev);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const entry: FixtureRequest = { method: req.method ?? '?', url: req.url ?? '', status: 0, ...(req.headers.range ? { range: req.headers.range } : {}) };
    // 'close', not 'finish': an interrupted response is logged too.
    res.on('close', () => {
      entry.status = res.statusCode;
      this.log.push(entry);
      if (this.log.length > MAX_LOG) this.log.splice(0, this.log.length - MAX_LOG);
    });
    req.resume(); // bodies are never read; drain so the socket stays usable
    // The hub answers pages on other origins (the app fetches from it in the browser).
    res.setHeader('access-control-allow-origin', '*');
    res.setHeader('access-control-expose-headers', 'content-range, content-length, etag, link, x-repo-commit, x-error-code, x-error-message, accept-ranges');
    if (req.method === 'OPTIONS') {
      res.statusCode = 204;
      res.setHeader('access-control-allow-methods', 'GET, HEAD');
      res.setHeader('access-control-allow-headers', req.headers['access-control-request-headers'] ?? '*');
      res.end();
      return;
    }
    try {
      this.route(req, res);
    } catch (err) {
      this.error(res, 500, 'InternalError', (err as Error).message);
    }
  }

  private route(req: IncomingMessage, res: ServerResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') return this.error(res, 405, 'MethodNotAllowed', `${req.method} is not served`);
    const url = new URL(req.url ?? '/', this.url);
    const parts = url.pathname.split('/').slice(1).map((p) => decodeURIComponent(p));
    if (parts[0] === 'api' && parts[1] === 'models' && parts.length >= 6) {
      const repoId = `${parts[2]}/${parts[3]}`;
      if (!this.repos.has(repoId)) return this.error(res, 404, 'RepoNotFound', `Repository not found: ${repoId}`);
      if (parts[4] === 'revision') return this.modelInfo(res, repoId, parts.slice(5).join('/'));
      if (parts[4] === 'tree') return this.tree(res, url, repoId, parts.slice(5));
    }
    if (parts.length >= 5 && parts[2] === 'resolve') {
      const repoId = `${parts[0]}/${parts[1]}`;
      if (!this.repos.has(repoId)) return this.error(res, 404, 'RepoNotFound', `Repository not found: ${repoId}`);
      return this.resolve(req, res, repoId, parts[3]!, parts.slice(4).join('/'));
    }
    this.error(res, 404, 'NotFound', `no route for ${url.pathname}`);
  }

  private modelInfo(res: ServerResponse, repoId: string, rev: string): void {
    const revision = this.revision(repoId, rev === 'HEAD' ? 'main' : rev);
    if (!revision) return this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    this.json(res, {
      _id: sha1(repoId).slice(0, 24), id: repoId, modelId: repoId, sha: revision.sha, private: false, gated: false, disabled: false,
      downloads: 0, likes: 0, pipeline_tag: 'text-generation', library_name: 'transformers', tags: [],
      lastModified: '2025-01-01T00:00:00.000Z', createdAt: '2025-01-01T00:00:00.000Z',
      siblings: [...revision.files.keys()].map((rfilename) => ({ rfilename })),
    });
  }

  private tree(res: ServerResponse, url: URL, repoId: string, rest: string[]): void {
    // The revision is the longest known prefix of the rest (branch names may hold slashes).
    let revision: StoredRevision | undefined;
    let dir = '';
    for (let n = rest.length; n >= 1 && !revision; n--) {
      revision = this.revision(repoId, rest.slice(0, n).join('/'));
      if (revision) dir = rest.slice(n).join('/');
    }
    if (!revision) return this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rest.join('/')}`);
    const recursive = url.searchParams.get('recursive') === 'true';
    const prefix = dir ? `${dir}/` : '';
    if (dir && ![...revision.files.keys()].some((p) => p.startsWith(prefix))) return this.error(res, 404, 'EntryNotFound', `${dir} does not exist on this revision`);
    const entries: Record<string, unknown>[] = [];
    const dirs = new Set<string>();
    for (const [path, file] of [...revision.files].sort(([a], [b]) => (a < b ? -1 : 1))) {
      if (!path.startsWith(prefix)) continue;
      const below = path.slice(prefix.length);
      const slash = below.indexOf('/');
      if (slash >= 0 && !recursive) {
        const sub = prefix + below.slice(0, slash);
        if (!dirs.has(sub)) { dirs.add(sub); entries.push({ type: 'directory', oid: sha1(sub), size: 0, path: sub }); }
        continue;
      }
      const size = file.bytes.byteLength;
      const lfs = LFS_ALWAYS.test(path) || size >= this.options.lfsThreshold;
      entries.push({ type: 'file', oid: file.oid, size, path, ...(lfs ? { lfs: { oid: file.sha256, size, pointerSize: 134 } } : {}) });
    }
    const cursor = Number(url.searchParams.get('cursor') ?? '0');
    const start = Number.isSafeInteger(cursor) && cursor >= 0 ? cursor : 0;
    const page = entries.slice(start, start + this.options.pageSize);
    if (start + this.options.pageSize < entries.length) {
      const next = new URL(url.href);
      next.searchParams.set('cursor', String(start + this.options.pageSize));
      res.setHeader('link', `<${next.href}>; rel="next"`);
    }
    this.json(res, page);
  }

  private resolve(req: IncomingMessage, res: ServerResponse, repoId: string, rev: string, path: string): void {
    const revision = this.revision(repoId, rev);
    if (!revision) return this.error(res, 404, 'RevisionNotFound', `Invalid rev id: ${rev}`);
    const file = revision.files.get(path);
    if (!file) return this.error(res, 404, 'EntryNotFound', `${path} does not exist on "${rev}"`);
    const size = file.bytes.byteLength;
    if (this.acceptRanges) res.setHeader('accept-ranges', 'bytes');
    res.setHeader('etag', `"${LFS_ALWAYS.test(path) || size >= this.options.lfsThreshold ? file.sha256 : file.oid}"`);
    res.setHeader('x-repo-commit', revision.sha);
    res.setHeader('content-type', path.endsWith('.json') ? 'application/json' : 'application/octet-stream');
    const range = this.acceptRanges ? parseRange(req.headers.range, size) : undefined;
    if (range === 'unsatisfiable') {
      res.statusCode = 416;
      res.setHeader('content-range', `bytes */${size}`);
      res.end();
      return;
    }
    const [start, end] = range ?? [0, size];
    if (range) {
      res.statusCode = 206;
      res.setHeader('content-range', `bytes ${start}-${end - 1}/${size}`);
    }
    res.setHeader('content-length', String(end - start));
    if (req.method === 'HEAD') { res.end(); return; }
    const cut = this.interruption;
    // Only a response that runs past the cut is cut: a short ranged read (a GGUF header probe) passes.
    if (cut && end - start > cut.afterBytes) {
      this.interruption = undefined;
      res.flushHeaders();
      res.write(file.bytes.subarray(start, Math.min(end, start + cut.afterBytes)));
      if (cut.mode === 'cut') setTimeout(() => res.destroy(), 20);
      return;
    }
    res.end(file.bytes.subarray(start, end));
  }

  private json(res: ServerResponse, body: unknown): void {
    const bytes = Buffer.from(JSON.stringify(body));
    res.setHeader('content-type', 'application/json; charset=utf-8');
    res.setHeader('content-length', String(bytes.byteLength));
    res.end(res.req.method === 'HEAD' ? undefined : bytes);
  }

  private error(res: ServerResponse, status: number, code: string, message: string): void {
    if (res.headersSent) { res.destroy(); return; }
    res.statusCode = status;
    res.setHeader('x-error-code', code);
    res.setHeader('x-error-message', message);
    this.json(res, { error: message });
  }
}

/**
 * A single "bytes=a-b" / "bytes=a-" / "bytes=-n" range as [start, endExclusive]; undefined for no
 * header or one this server ignores (several ranges, other units: RFC 9110 lets it send it all).
 */
export function parseRange(header: string | undefined, size: number): [number, number] | 'unsatisfiable' | undefined {
  const m = header === undefined ? null : /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return undefined;
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return 'unsatisfiable';
    return [Math.max(0, size - suffix), size];
  }
  const start = Number(m[1]);
  const last = m[2] === '' ? size - 1 : Number(m[2]);
  if (last < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return [start, Math.min(last, size - 1) + 1];
}
