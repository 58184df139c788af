// What turns raw model output into a suggestion a user wants to see. Pure functions of the text
// around the cursor, so they are tested as `before[ghost]after` strings without an editor.

export type CompletionMode = 'single-line' | 'multi-line';

export interface CursorContext {
  /** Document text before the cursor. */
  prefix: string;
  /** Document text after the cursor. */
  suffix: string;
}

const OPENERS: Record<string, string> = { '(': ')', '[': ']', '{': '}' };
const CLOSERS: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
/** Lines ending with one of these open a block: the next line is a body worth several lines. */
const BLOCK_OPENER = /(\{|\(|\[|:|=>|\bdo|\bthen)\s*$/;
/** The rest of a line we may complete in front of: closers, punctuation, whitespace. */
const CLOSERS_AND_PUNCTUATION = /^[\s)\]}>;,.:'"`]*$/;
/** Multi-line suggestions stop here: beyond a screenful nobody reads ghost text. */
export const MAX_SUGGESTION_LINES = 12;

const lineBefore = (ctx: CursorContext) => ctx.prefix.slice(ctx.prefix.lastIndexOf('\n') + 1);
const lineAfter = (ctx: CursorContext) => {
  const end = ctx.suffix.indexOf('\n');
  return end < 0 ? ctx.suffix : ctx.suffix.slice(0, end);
};

/** Mid-line, suggest only when the rest of the line is closers and punctuation. */
export function shouldSuggestHere(ctx: CursorContext): boolean {
  return CLOSERS_AND_PUNCTUATION.test(lineAfter(ctx));
}

/** Multi-line on an empty line after a block opener (or at the start of an empty body). */
export function completionMode(ctx: CursorContext): CompletionMode {
  if (lineBefore(ctx).trim() !== '') return 'single-line';
  // The lines before the cursor's, nearest first, without splitting the whole prefix (a keystroke's cost must not grow with the file).
  let end = ctx.prefix.lastIndexOf('\n');
  while (end >= 0) {
    const start = ctx.prefix.lastIndexOf('\n', end - 1) + 1;
    const line = ctx.prefix.slice(start, end).trimEnd();
    end = start - 1;
    if (line.trim() === '') continue;
    return BLOCK_OPENER.test(line) ? 'multi-line' : 'single-line';
  }
  return 'multi-line'; // an empty file: let the model write
}

/** The last prefix scanned and its open brackets: the same prefix is asked about for every streamed token. */
const openBracketsMemo: { prefix: string | undefined; stack: readonly string[] } = { prefix: undefined, stack: [] };

/** Unmatched openers in the prefix, innermost last, so the suggestion may close them (a fresh copy). */
function openBrackets(prefix: string): string[] {
  if (openBracketsMemo.prefix !== prefix) {
    const stack: string[] = [];
    for (let i = 0; i < prefix.length; i++) {
      const ch = prefix[i]!;
      if (ch === '(' || ch === '[' || ch === '{') stack.push(ch);
      else if ((ch === ')' || ch === ']' || ch === '}') && stack[stack.length - 1] === CLOSERS[ch]) stack.pop();
    }
    openBracketsMemo.prefix = prefix;
    openBracketsMemo.stack = stack;
  }
  return [...openBracketsMemo.stack];
}

/**
 * Cuts raw model output into the suggestion to show, or undefined when nothing is worth showing.
 *  - single-line: up to the first line break; multi-line: at most MAX_SUGGESTION_LINES lines,
 *    stopping before a line that copies the next non-empty line of the document;
 *  - stops where it starts repeating the text after the cursor on this line;
 *  - stops before a closer that matches no opener (it would unbalance the brackets) and, on one
 *    line, before a closer the rest of the line already supplies;
 *  - never whitespace alone.
 */
export function trimCompletion(raw: string, ctx: CursorContext, mode: CompletionMode): string | undefined {
  let text = raw.replace(/\r\n/g, '\n');
  if (mode === 'single-line') {
    const nl = text.indexOf('\n');
    if (nl >= 0) text = text.slice(0, nl);
  } else {
    text = cutBeforeCopiedNextLine(text, ctx).split('\n').slice(0, MAX_SUGGESTION_LINES).join('\n');
  }
  text = cutAtRepeatedSuffix(text, lineAfter(ctx).trim());
  text = cutAtUnbalancedCloser(text, ctx.prefix, mode === 'single-line' ? lineAfter(ctx) : '');
  text = text.replace(/\s+$/, (tail) => (mode === 'multi-line' ? '' : tail.includes('\n') ? '' : tail));
  if (text.trim() === '') return undefined;
  return text;
}

function cutAtRepeatedSuffix(text: string, restOfLine: string): string {
  if (restOfLine === '') return text;
  const at = text.indexOf(restOfLine);
  return at >= 0 ? text.slice(0, at) : text;
}

/** The first non-empty line after the cursor's line, trimmed; read line by line, not by splitting the whole suffix. */
function nextNonEmptyLine(suffix: string): string | undefined {
  let start = suffix.indexOf('\n');
  while (start >= 0) {
    const end = suffix.indexOf('\n', start + 1);
    const line = suffix.slice(start + 1, end < 0 ? undefined : end).trim();
    if (line !== '') return line;
    start = end;
  }
  return undefined;
}

function cutBeforeCopiedNextLine(text: string, ctx: CursorContext): string {
  const next = nextNonEmptyLine(ctx.suffix);
  if (next === undefined) return text;
  const lines = text.split('\n');
  // The first generated line is finishing the cursor's own line; copies start after it.
  const copy = lines.findIndex((line, i) => i > 0 && line.trim() === next);
  return copy > 0 ? lines.slice(0, copy).join('\n') : text;
}

function cutAtUnbalancedCloser(text: string, prefix: string, restOfLine: string): string {
  const stack = openBrackets(prefix);
  const openInPrefix = stack.length;
  const suppliedByLine = restOfLine.split('').filter((ch) => ch in CLOSERS);
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch in OPENERS) stack.push(ch);
    else if (ch in CLOSERS) {
      if (stack[stack.length - 1] !== CLOSERS[ch]) return text.slice(0, i);
      // The same closer already follows the cursor: let the document's one close it.
      if (suppliedByLine[0] === ch && stack.length <= openInPrefix) return text.slice(0, i);
      stack.pop();
    }
  }
  return text;
}

/**
 * True when more model output could no longer change the suggestion (a rule already cut it),
 * so the engine can stop early. Probed by appending a character no rule reacts to.
 */
export function isSuggestionFinal(raw: string, ctx: CursorContext, mode: CompletionMode): boolean {
  return trimCompletion(raw + '\u0001', ctx, mode) === trimCompletion(raw, ctx, mode);
}
