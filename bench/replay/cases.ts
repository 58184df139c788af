// What the replay types: stretches of real files, cut at line starts, with the rest of the file
// around them (the user writes a new block inside an existing file, as most editing is).

import { readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { languageOfPath } from '../../src/document/languages.ts';
import type { ReplayCase } from './simulated-user.ts';

/** The languages the replay reports (the shipped model's). */
export const REPLAY_LANGUAGES = ['python', 'typescript', 'javascript'] as const;
export type ReplayLanguage = (typeof REPLAY_LANGUAGES)[number];

export interface ReplayFile {
  /** As given, or relative to the held-out sample's folder. */
  path: string;
  language: ReplayLanguage;
  text: string;
}

export interface FileCase extends ReplayCase {
  path: string;
  language: ReplayLanguage;
  /** Keystrokes this stretch may take (the file's budget, shared among its stretches). */
  maxKeystrokes: number;
}

/** The committed sample of the model card's held-out packages (bench/replay/make_heldout.py). */
export const HELDOUT_DIR = join(dirname(fileURLToPath(import.meta.url)), 'heldout');

/** Lines per stretch: a block's worth, so the stretch has both single-line and multi-line moments. */
const STRETCH_LINES = 8;
/** Keystrokes per stretch, about: a file's budget is split into this many-keystroke stretches. */
const KEYSTROKES_PER_STRETCH = 200;
/** The most stretches taken from one file. */
const MAX_STRETCHES = 8;

const isReplayLanguage = (id: string | undefined): id is ReplayLanguage => (REPLAY_LANGUAGES as readonly string[]).includes(id ?? '');

/** Reads files to replay; a file of another language is refused with its name. */
export function readReplayFiles(paths: readonly string[]): ReplayFile[] {
  return paths.map((path) => {
    const language = languageOfPath(path);
    if (!isReplayLanguage(language)) {
      throw new Error(`${path}: the replay reports ${REPLAY_LANGUAGES.join(', ')}; this file's extension is ${language ?? 'not a known language'}`);
    }
    return { path, language, text: readFileSync(path, 'utf8').replace(/\r\n/g, '\n') };
  });
}

/** The held-out sample, in its manifest's order. */
export function heldOutFiles(): ReplayFile[] {
  const manifest = JSON.parse(readFileSync(join(HELDOUT_DIR, 'manifest.json'), 'utf8')) as { files: { path: string }[] };
  return readReplayFiles(manifest.files.map((f) => join(HELDOUT_DIR, f.path))).map((f) => ({ ...f, path: relative(HELDOUT_DIR, f.path) }));
}

/**
 * The stretches of one file: up to MAX_STRETCHES of STRETCH_LINES lines each, spread evenly over
 * the file, never overlapping, each from after its first line's indentation (where the cursor is
 * after Enter) to its last line's end, skipping stretches with nothing but blank lines. Deterministic.
 */
export function casesOf(file: ReplayFile, maxKeystrokes: number): FileCase[] {
  const lines = file.text.split('\n');
  const starts: number[] = [];
  let offset = 0;
  for (const line of lines) { starts.push(offset); offset += line.length + 1; }
  const count = Math.max(1, Math.min(MAX_STRETCHES, Math.round(maxKeystrokes / KEYSTROKES_PER_STRETCH), Math.floor(lines.length / STRETCH_LINES)));
  const cases: FileCase[] = [];
  let nextFree = 0;
  for (let k = 0; k < count; k++) {
    let first = Math.max(nextFree, Math.floor(((k + 0.5) * lines.length) / count) - Math.floor(STRETCH_LINES / 2));
    while (first < lines.length && lines[first]!.trim() === '') first++;
    const last = Math.min(lines.length, first + STRETCH_LINES);
    if (first >= last) break;
    nextFree = last;
    const indent = /^[ \t]*/.exec(lines[first]!)![0].length;
    const from = starts[first]! + indent;
    // Up to the last line's end, not past its newline: the user writes new lines, so the rest of
    // the cursor's line is empty until they reach the next line of the file.
    const to = starts[last - 1]! + lines[last - 1]!.length;
    const target = file.text.slice(from, to);
    if (target.trim() === '') continue;
    cases.push({
      path: file.path, language: file.language, before: file.text.slice(0, from), target, after: file.text.slice(to),
      maxKeystrokes: Math.max(1, Math.floor(maxKeystrokes / count)),
    });
  }
  return cases;
}
