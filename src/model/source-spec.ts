// A model source as one string, parsed: a local folder or .gguf path, an https URL of a .gguf file,
// or a hub id org/name[@revision][:file.gguf] (model-source.ts describes the forms and opens them).
// Kept apart from the loaders so the page can check a string (a share link's model) without them.
import { ggufFileName } from './model-files.ts';

/** The longest source string taken: a hub id with a revision and a file, or a URL, fits many times over. */
export const MAX_MODEL_SOURCE_CHARS = 2048;

export const ACCEPTED_SOURCES = 'a model folder (config.json, tokenizer.json, *.safetensors), a .gguf file, '
  + 'an https URL of a .gguf file, or a Hugging Face repo id org/name[@revision][:file.gguf]';

export type ModelSourceSpec =
  | { kind: 'folder'; path: string }
  | { kind: 'gguf-file'; path: string }
  | { kind: 'url'; url: string; fileName: string }
  | { kind: 'hub'; repo: string; revision?: string; file?: string };

/** What exists at a local path, for callers that can look (the CLI); undefined: nothing there. */
export type LocalPathKind = (path: string) => 'dir' | 'file' | undefined;

/** Hub repo names: letters, digits, "-", "_", "." (no leading punctuation), at most 96 characters. */
const REPO_PART = '[A-Za-z0-9][\\w.-]{0,95}';
const HUB_ID = new RegExp(`^(${REPO_PART}/${REPO_PART})(?:@([\\w./-]+))?(?::([^:\\s]+))?$`);
const EXPLICIT_PATH = /^(\/|\.{1,2}([/\\]|$)|~[/\\]|[A-Za-z]:[/\\])/;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

export function invalid(input: string, why: string): never {
  throw new Error(`model source ${JSON.stringify(input)}: ${why}. Accepted: ${ACCEPTED_SOURCES}`);
}

/** Parses a source string. `localKind` lets a caller with a file system say what a path is. */
export function parseModelSource(input: string, localKind?: LocalPathKind): ModelSourceSpec {
  const text = input.trim();
  if (text === '') invalid(input, 'it is empty');
  if (text.length > MAX_MODEL_SOURCE_CHARS) invalid(input.slice(0, 80) + '…', `it is ${text.length} characters long; the limit is ${MAX_MODEL_SOURCE_CHARS}`);
  if (/^[a-z][a-z\d+.-]*:\/\//i.test(text)) return parseUrl(input, text);
  const local = localKind?.(text);
  const isGguf = /\.gguf$/i.test(text);
  if (local === 'dir') return { kind: 'folder', path: text };
  if (local === 'file') {
    if (!isGguf) invalid(input, 'it is a file but not a .gguf file (a Hugging Face layout model is a folder)');
    return { kind: 'gguf-file', path: text };
  }
  if (EXPLICIT_PATH.test(text)) return isGguf ? { kind: 'gguf-file', path: text } : { kind: 'folder', path: text };
  const hub = HUB_ID.exec(text);
  if (hub && !/\.gguf$/i.test(hub[1]!)) {
    const [, repo, revision, file] = hub;
    if (revision !== undefined && (revision.includes('..') || revision.startsWith('/') || revision.endsWith('/'))) invalid(input, `revision ${JSON.stringify(revision)} is not a valid revision`);
    if (file !== undefined && !/\.gguf$/i.test(file)) invalid(input, `the file after ":" must be a .gguf file, got ${JSON.stringify(file)}`);
    if (file !== undefined && file.split('/').some((part) => part === '' || part === '..' || part === '.')) invalid(input, `file ${JSON.stringify(file)} is not a path inside the repository`);
    return { kind: 'hub', repo: repo!, ...(revision !== undefined ? { revision } : {}), ...(file !== undefined ? { file } : {}) };
  }
  if (localKind) invalid(input, 'no such file or folder, and not a hub id org/name');
  if (isGguf) return { kind: 'gguf-file', path: text };
  // Deeper than org/name: only a path can look like this.
  if (/^[^@:]+[/\\][^@:]+[/\\][^@:]+$/.test(text)) return { kind: 'folder', path: text };
  invalid(input, 'not a hub id org/name[@revision][:file.gguf]');
}

function parseUrl(input: string, text: string): ModelSourceSpec {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    invalid(input, 'not a valid URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    invalid(input, `a URL must be https (http only to 127.0.0.1 or localhost), got ${url.protocol}`);
  }
  if (url.username || url.password) invalid(input, 'a URL must not carry credentials');
  const fileName = ggufFileName(url.href);
  if (fileName === undefined) invalid(input, 'a URL must name a .gguf file (a folder by URL is not a model source; use a hub id)');
  return { kind: 'url', url: url.href, fileName };
}


/** True when connect-src `pattern` (an origin, or https://*.host for its subdomains) allows `url`'s origin. */
export function hostAllowed(url: URL, pattern: string): boolean {
  const wild = /^(https?):\/\/\*\.(.+)$/.exec(pattern);
  if (!wild) return url.origin === pattern;
  return url.protocol === `${wild[1]}:` && url.port === '' && url.hostname.endsWith(`.${wild[2]}`);
}

export const notAllowedMessage = (url: URL): string => `${url.host} is not a host this page may download models from`;
