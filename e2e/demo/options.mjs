// Command-line options of `npm run demo` (see README "Demo"), checked before anything is built or
// launched: bad input ends the demo at once with a message that says what is wrong.
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { TextDecoder } from 'node:util';

export const USAGE = `usage: npm run demo [-- [options]]

  --script <file>          type this source file instead of the built-in session (its language
                           comes from the extension: .ts .py .js .rs .go .c .cpp .java …)
  --keys-per-second <n>    typing speed (default 12; 1–60)
  --no-edit                skip the Edit (Ctrl+K) step
  --no-video               do not record a video (measures latency without the recorder's cost)
  --model <id>             the model to load (default: the settings' model, spark-nano); today only
                           models served by the app under public/models/<id>/ can be loaded
  --out <dir>              output folder (default out/demo-<time>)
  --url <base-url>         use an app already served there instead of building and serving one
  --help                   this text`;

/** File extension → Monaco language id (the ids the language picker offers). */
export const LANGUAGE_BY_EXTENSION = Object.freeze({
  '.ts': 'typescript', '.tsx': 'typescript', '.mts': 'typescript', '.cts': 'typescript',
  '.js': 'javascript', '.jsx': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript',
  '.py': 'python', '.pyw': 'python',
  '.rs': 'rust',
  '.go': 'go',
  '.c': 'c', '.h': 'c',
  '.cpp': 'cpp', '.cc': 'cpp', '.cxx': 'cpp', '.hpp': 'cpp', '.hh': 'cpp', '.hxx': 'cpp',
  '.java': 'java',
  '.wgsl': 'wgsl',
  '.json': 'json',
  '.html': 'html', '.htm': 'html',
  '.css': 'css',
  '.md': 'markdown', '.markdown': 'markdown',
  '.txt': 'plaintext',
});

export class UsageError extends Error {}

/** The language of a script file, from its extension; throws a UsageError for an unknown one. */
export function languageForFile(file) {
  const ext = extname(file).toLowerCase();
  const language = LANGUAGE_BY_EXTENSION[ext];
  if (!language) {
    throw new UsageError(`--script ${file}: ${ext ? `unknown extension "${ext}"` : 'the file has no extension'}, so its language is unknown; known: ${Object.keys(LANGUAGE_BY_EXTENSION).join(' ')}`);
  }
  return language;
}

const MODEL_ID = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,127}$/; // the settings' "Model id" rule (src/settings.ts)

/**
 * Checks --model: what the app's model picker (the settings' Model id) can load today is a model
 * directory the app serves, public/models/<id>/. Anything else is refused here, with the reason.
 */
export function checkModel(source, publicDir) {
  const available = existsSync(join(publicDir, 'models'))
    ? readdirSync(join(publicDir, 'models')).filter((d) => existsSync(join(publicDir, 'models', d, 'config.json')))
    : [];
  const list = `available: ${available.join(', ') || 'none'}`;
  if (/^[a-z][a-z0-9+.-]*:/i.test(source) || source.toLowerCase().endsWith('.gguf') || !MODEL_ID.test(source) || source.split('/').includes('..')) {
    throw new UsageError(`--model ${source}: cannot be loaded. The app loads only models it serves under public/models/<id>/ (URLs, files, GGUF and registry models are not loadable yet); ${list}`);
  }
  if (!available.includes(source)) {
    throw new UsageError(`--model ${source}: no model "${source}" under public/models/ (a directory with config.json); ${list}`);
  }
  return source;
}

/**
 * Parses the demo's arguments. Returns { help } or the options; throws a UsageError on bad input.
 * `root` is the repository root (for public/ and relative paths).
 */
export function parseArgs(argv, { root = process.cwd(), now = new Date() } = {}) {
  const o = {
    out: undefined, video: true, edit: true, scriptFile: undefined, keysPerSecond: 12, model: undefined, url: undefined, help: false,
  };
  const value = (i, flag) => {
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const take = () => { if (inline !== undefined) return inline; const v = value(i, flag); i++; return v; };
    switch (flag) {
      case '--help': case '-h': o.help = true; break;
      case '--no-video': o.video = false; break;
      case '--no-edit': o.edit = false; break;
      case '--out': o.out = take(); break;
      case '--script': o.scriptFile = take(); break;
      case '--model': o.model = take(); break;
      case '--url': o.url = take(); break;
      case '--keys-per-second': {
        const raw = take();
        const n = Number(raw);
        if (raw.trim() === '' || !Number.isFinite(n) || n < 1 || n > 60) throw new UsageError(`--keys-per-second ${raw}: must be a number from 1 to 60`);
        o.keysPerSecond = n;
        break;
      }
      default:
        throw new UsageError(`unknown argument "${arg}"`);
    }
  }
  if (o.help) return o;
  o.out = resolve(root, o.out ?? `out/demo-${now.toISOString().replace(/[:.]/g, '-')}`);
  if (o.url !== undefined) {
    let u;
    try { u = new URL(o.url); } catch { throw new UsageError(`--url ${o.url}: not a URL`); }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new UsageError(`--url ${o.url}: must be http(s)`);
    o.url = u.href.endsWith('/') ? u.href : `${u.href}/`;
  }
  if (o.model !== undefined) checkModel(o.model, join(root, 'public'));
  if (o.scriptFile !== undefined) {
    const path = resolve(o.scriptFile);
    if (!existsSync(path)) throw new UsageError(`--script ${o.scriptFile}: no such file`);
    if (!statSync(path).isFile()) throw new UsageError(`--script ${o.scriptFile}: not a file`);
    o.language = languageForFile(path);
    const { text, notes } = readScript(path);
    if (text.trim() === '') throw new UsageError(`--script ${o.scriptFile}: the file is empty`);
    o.script = text;
    o.scriptNotes = notes;
    o.scriptFile = path;
  }
  return o;
}

/**
 * A script file's text as the editor will hold it. The editor's line ends are LF (Enter inserts
 * "\n"), so CRLF and CR line ends are typed as LF and the note says so; a UTF-8 BOM is dropped.
 */
export function readScript(path) {
  const buf = readFileSync(path);
  let text;
  try { text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(buf); } catch { throw new UsageError(`--script ${path}: is not valid UTF-8`); }
  const notes = [];
  if (text.includes('\u0000')) throw new UsageError(`--script ${path}: looks like a binary file (it has NUL bytes)`);
  if (text.startsWith('\uFEFF')) { text = text.slice(1); notes.push('dropped the UTF-8 byte order mark'); }
  if (/\r/.test(text)) { text = text.replace(/\r\n?/g, '\n'); notes.push('CRLF/CR line ends typed as LF (the editor\'s line end)'); }
  return { text, notes };
}
