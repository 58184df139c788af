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
