// Edit on real edits: held-out code is broken in one small way (a variable renamed at one of its
// uses, an argument dropped, two lines swapped), the lines around the break are selected, and Edit
// runs through the editor's real rewrite path. A demanding user wants Edit to put the code back,
// or else to leave it alone; never to make it worse.

import { diffChars } from 'diff';
import { NoConfidentEditError } from '../../src/editor/rewrite/never-worse.ts';
import type { RewriteEngine } from '../../src/editor/rewrite/rewrite-session.ts';
import type { ReplayFile, ReplayLanguage } from './cases.ts';

export type MutationKind = 'rename-use' | 'drop-argument' | 'swap-lines';
export const MUTATION_KINDS: readonly MutationKind[] = ['rename-use', 'drop-argument', 'swap-lines'];

export interface EditCase {
  path: string;
  language: ReplayLanguage;
  kind: MutationKind;
  before: string;
  /** The selected lines as they were: what a perfect Edit gives back. */
  original: string;
  /** The selected lines with the break: what Edit is asked to rewrite. */
  mutated: string;
  after: string;
}

export type EditOutcome = 'restored' | 'worse' | 'declined' | 'closer';

export interface EditSummary {
  cases: number;
  /** Edit gave back the original lines. */
  restored: number;
  /** The result is further from the original than the broken code was (or the engine failed). */
  worse: number;
  /** Edit proposed no change. */
  declined: number;
}

/** Lines selected on each side of the broken line. */
const CONTEXT_LINES = 2;
const IDENTIFIER = /[A-Za-z_]\w{2,}/g;
// Reserved words of the three languages (and TypeScript's contextual ones): renaming one breaks the
// syntax rather than a variable, which is not the mistake this case is about.
const KEYWORDS = new Set([
  // Python
  'False', 'None', 'True', 'and', 'as', 'assert', 'async', 'await', 'break', 'case', 'class', 'cls', 'continue', 'def', 'del', 'elif', 'else',
  'except', 'finally', 'for', 'from', 'global', 'if', 'import', 'in', 'is', 'lambda', 'match', 'nonlocal', 'not', 'or', 'pass', 'raise',
  'return', 'self', 'try', 'while', 'with', 'yield',
  // JavaScript
  'catch', 'const', 'debugger', 'default', 'delete', 'do', 'export', 'extends', 'false', 'function', 'get', 'instanceof', 'let', 'new', 'null',
  'of', 'set', 'static', 'super', 'switch', 'this', 'throw', 'true', 'typeof', 'undefined', 'var', 'void',
  // TypeScript
  'abstract', 'accessor', 'any', 'asserts', 'bigint', 'boolean', 'declare', 'enum', 'implements', 'infer', 'interface', 'keyof', 'module',
  'namespace', 'never', 'number', 'object', 'override', 'private', 'protected', 'public', 'readonly', 'satisfies', 'string', 'symbol', 'type',
  'unique', 'unknown',
]);

/** Code lines worth breaking: not blank, not a comment or docstring line. */
const isCode = (line: string) => {
  const t = line.trim();
  return t.length >= 8 && !/^(#|\/\/|\/\*|\*|"""|'''|@)/.test(t);
};

/** One mutation of lines[i], or undefined when this kind does not apply there. */
function mutateLine(lines: readonly string[], i: number, kind: MutationKind, text: string): { lines: string[]; first: number; last: number } | undefined {
  const line = lines[i]!;
  const out = [...lines];
  if (kind === 'swap-lines') {
    const next = lines[i + 1];
    const indent = (s: string) => /^[ \t]*/.exec(s)![0];
    if (next === undefined || !isCode(next) || next.trim() === line.trim() || indent(next) !== indent(line)) return undefined;
    out[i] = next;
    out[i + 1] = line;
    return { lines: out, first: i, last: i + 1 };
  }
  if (kind === 'drop-argument') {
    // The last argument of a call with two or more simple ones on this line.
    const call = /(\w\()([^()]*,\s*)([^(),]+)\)/.exec(line);
    if (!call || call[2]!.trim() === '') return undefined;
    const kept = call[2]!.replace(/,\s*$/, '');
    out[i] = line.slice(0, call.index) + call[1] + kept + ')' + line.slice(call.index + call[0].length);
    return { lines: out, first: i, last: i };
  }
  // rename-use: an identifier used elsewhere in the file, at this one use, becomes another of the file's identifiers.
  const names = [...line.matchAll(IDENTIFIER)].filter((m) => !KEYWORDS.has(m[0]));
  for (const m of names) {
    const uses = text.split(new RegExp(`\\b${m[0]}\\b`)).length - 1;
    if (uses < 2) continue;
    const others = [...new Set(text.match(IDENTIFIER) ?? [])].filter((n) => n !== m[0] && !KEYWORDS.has(n) && n.length >= 3).sort();
    if (others.length === 0) return undefined;
    const other = others[(m[0].length * 31 + i) % others.length]!;
    out[i] = line.slice(0, m.index) + other + line.slice(m.index! + m[0].length);
    return { lines: out, first: i, last: i };
  }
  return undefined;
}

/**
 * Up to `count` cases from a file, one per mutation kind in turn, at lines spread over the file
 * (deterministic). The selection is whole lines: the broken ones and CONTEXT_LINES either side.
 */
export function editCasesOf(file: ReplayFile, count: number): EditCase[] {
  const lines = file.text.split('\n');
  const cases: EditCase[] = [];
  const slots = Math.max(1, count);
  for (let k = 0; k < slots && cases.length < count; k++) {
    const kind = MUTATION_KINDS[(cases.length + file.path.length) % MUTATION_KINDS.length]!;
    const from = Math.floor(((k + 0.3) * lines.length) / slots);
    for (let i = from; i < lines.length; i++) {
      if (!isCode(lines[i]!)) continue;
      const m = mutateLine(lines, i, kind, file.text);
      if (!m) continue;
      const first = Math.max(0, m.first - CONTEXT_LINES), last = Math.min(lines.length - 1, m.last + CONTEXT_LINES);
      const join = (ls: readonly string[]) => ls.slice(first, last + 1).join('\n');
      const beforeLines = lines.slice(0, first), afterLines = lines.slice(last + 1);
      cases.push({
        path: file.path, language: file.language, kind,
        before: beforeLines.length > 0 ? `${beforeLines.join('\n')}\n` : '',
        original: join(lines), mutated: join(m.lines),
        after: afterLines.length > 0 ? `\n${afterLines.join('\n')}` : '',
      });
      break;
    }
  }
  return cases;
}

/** Characters inserted plus deleted to turn a into b. */
export function editDistance(a: string, b: string): number {
  return diffChars(a, b).reduce((n, part) => n + (part.added || part.removed ? part.value.length : 0), 0);
}

const sameCode = (a: string, b: string) => a.replace(/[ \t]+$/gm, '') === b.replace(/[ \t]+$/gm, '');

/** How one Edit result compares with the original and with the broken code it was given. */
export function classifyEdit(c: Pick<EditCase, 'original' | 'mutated'>, result: string): EditOutcome {
  if (sameCode(result, c.mutated)) return 'declined';
  if (sameCode(result, c.original)) return 'restored';
  return editDistance(result, c.original) > editDistance(c.mutated, c.original) ? 'worse' : 'closer';
}

/**
 * Runs Edit on each case, one after another. Edit declining (NoConfidentEditError) leaves the code
 * as it was; any other failure fails the replay: it is a bug, not an outcome. onApplied sees every
 * rewrite that was applied, so a run that makes code worse shows how.
 */
export async function replayEdits(
  cases: readonly EditCase[], engine: RewriteEngine, onApplied?: (c: EditCase, outcome: EditOutcome, result: string) => void,
): Promise<EditSummary & { outcomes: EditOutcome[] }> {
  const outcomes: EditOutcome[] = [];
  for (const c of cases) {
    let result = '';
    try {
      await engine.rewrite({ before: c.before, original: c.mutated, after: c.after, instruction: 'Fix the bug.', language: c.language },
        (text) => { result = text; }, new AbortController().signal);
    } catch (err) {
      if (!(err instanceof NoConfidentEditError)) throw err;
      result = c.mutated;
    }
    const outcome = classifyEdit(c, result);
    if (outcome !== 'declined') onApplied?.(c, outcome, result);
    outcomes.push(outcome);
  }
  const count = (o: EditOutcome) => outcomes.filter((x) => x === o).length;
  return { cases: cases.length, restored: count('restored'), worse: count('worse'), declined: count('declined'), outcomes };
}
