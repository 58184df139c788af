// Tokenizing the prompt window again on every keystroke cost 7–10 ms with spark-nano's tokenizer
// (the largest stage of the ghost's waterfall after the model itself). Between two keystrokes
// almost all of that text is the same: the suffix is untouched and the prefix only grows at its
// end. So the text is cut into chunks of whole lines, each chunk's tokens are remembered, and only
// the chunks that changed are encoded again.
//
// That gives the tokenizer's own answer only where no token crosses a cut, i.e. where each cut is
// a boundary of the tokenizer's pre-tokenizer. Cuts are made only after a '\n' that is followed by
// a line with something other than whitespace on it: Qwen2-style and Llama 3-style split patterns
// (spark-nano's among them) never join such a newline to what follows it. Other tokenizers may:
// GPT-2's pattern gives the indentation after a newline to the newline. So the result is checked
// against a whole encode on the first text that has cuts and again every CHECK_EVERY texts; one
// difference turns chunking off for good for that tokenizer, and the whole encode is used.

import type { PromptTokenizer } from './prompt.ts';

/** Each chunk holds at least this many characters (fewer, larger encodes; the last grows as typed). */
const MIN_CHUNK_CHARS = 256;
/** Texts with cuts between checks against the whole encode. */
export const CHECK_EVERY = 32;
/** Remembered chunk characters, at most (a few prompt windows); the least recently used go first. */
const MEMO_CHARS = 1 << 18;

/**
 * `text` cut after newlines into chunks of at least `minChars` characters (the last may be
 * shorter), only where the next line has a non-whitespace character before its end.
 */
export function lineChunks(text: string, minChars = MIN_CHUNK_CHARS): string[] {
  const chunks: string[] = [];
  let start = 0;
  let from = start + minChars;
  while (from < text.length) {
    const newline = text.indexOf('\n', from - 1);
    if (newline < 0) break;
    const cut = newline + 1;
    if (lineHasText(text, cut)) {
      chunks.push(text.slice(start, cut));
      start = cut;
      from = cut + minChars;
    } else from = cut + 1;
  }
  chunks.push(text.slice(start));
  return chunks;
}

const WHITESPACE = /\s/;

/** Whether the line starting at `at` has a character other than whitespace before its end. */
function lineHasText(text: string, at: number): boolean {
  for (let i = at; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\n' || c === '\r') return false;
    if (!WHITESPACE.test(c)) return true;
  }
  return false;
}

export class LineChunkEncoder {
  private readonly memo = new Map<string, readonly number[]>();
  private memoChars = 0;
  private texts = 0;
  /** undefined: not checked yet; false: chunks gave another answer once, so only whole encodes. */
  private exact: boolean | undefined;

  constructor(private readonly encodeWhole: (text: string) => number[]) {}

  /** Whether chunking is still on (false once a check found a difference). */
  get chunking(): boolean { return this.exact !== false; }

  encode(text: string): number[] {
    if (this.exact === false) return this.encodeWhole(text);
    const chunks = lineChunks(text);
    if (chunks.length === 1) return this.encodeWhole(text);
    const ids: number[] = [];
    for (const chunk of chunks) for (const id of this.chunkIds(chunk)) ids.push(id);
    this.evict();
    if (this.exact === undefined || ++this.texts % CHECK_EVERY === 0) {
      const whole = this.encodeWhole(text);
      this.exact = whole.length === ids.length && whole.every((id, i) => id === ids[i]);
      if (!this.exact) {
        this.memo.clear();
        this.memoChars = 0;
        return whole;
      }
    }
    return ids;
  }

  private chunkIds(chunk: string): readonly number[] {
    const known = this.memo.get(chunk);
    if (known) {
      this.memo.delete(chunk); // re-inserted: the Map's order is the use order
      this.memo.set(chunk, known);
      return known;
    }
    const ids = this.encodeWhole(chunk);
    this.memo.set(chunk, ids);
    this.memoChars += chunk.length;
    return ids;
  }

  private evict(): void {
    for (const [chunk] of this.memo) {
      if (this.memoChars <= MEMO_CHARS) return;
      this.memo.delete(chunk);
      this.memoChars -= chunk.length;
    }
  }
}

/** The prompt builder's tokenizer: `tokenizer` with its encode() cut into remembered line chunks. */
export function promptTokenizer(tokenizer: PromptTokenizer): PromptTokenizer {
  const chunks = new LineChunkEncoder((text) => tokenizer.encode(text));
  return { encode: (text) => chunks.encode(text), specials: tokenizer.specials, tokenString: (id) => tokenizer.tokenString(id) };
}
