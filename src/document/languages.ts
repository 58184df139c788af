// The languages the picker offers, as Monaco language ids. Playground links may only name one of
// these (anything else is rejected when a link is decoded).

export interface LanguageOption {
  id: string;
  label: string;
}

export const LANGUAGES: readonly LanguageOption[] = Object.freeze([
  { id: 'typescript', label: 'TypeScript' },
  { id: 'javascript', label: 'JavaScript' },
  { id: 'python', label: 'Python' },
  { id: 'rust', label: 'Rust' },
  { id: 'go', label: 'Go' },
  { id: 'c', label: 'C' },
  { id: 'cpp', label: 'C++' },
  { id: 'java', label: 'Java' },
  { id: 'wgsl', label: 'WGSL' },
  { id: 'json', label: 'JSON' },
  { id: 'html', label: 'HTML' },
  { id: 'css', label: 'CSS' },
  { id: 'markdown', label: 'Markdown' },
  { id: 'plaintext', label: 'Plain text' },
]);

export const DEFAULT_LANGUAGE = 'typescript';

export function isSupportedLanguage(id: unknown): id is string {
  return typeof id === 'string' && LANGUAGES.some((language) => language.id === id);
}

/** File extensions (lower case, with the dot) of the languages above that have files of their own. */
const EXTENSIONS: Readonly<Record<string, string>> = Object.freeze({
  '.ts': 'typescript', '.tsx': 'typescript', '.mts': 'typescript', '.cts': 'typescript',
  '.js': 'javascript', '.jsx': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript',
  '.py': 'python', '.pyi': 'python', '.rs': 'rust', '.go': 'go', '.c': 'c', '.h': 'c',
  '.cc': 'cpp', '.cpp': 'cpp', '.cxx': 'cpp', '.hpp': 'cpp', '.hh': 'cpp', '.java': 'java', '.wgsl': 'wgsl',
  '.json': 'json', '.html': 'html', '.htm': 'html', '.css': 'css', '.md': 'markdown', '.markdown': 'markdown', '.txt': 'plaintext',
});

/** The language of a file by its name's extension, or undefined for one no language claims. */
export function languageOfPath(path: string): string | undefined {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 ? EXTENSIONS[name.slice(dot).toLowerCase()] : undefined;
}
