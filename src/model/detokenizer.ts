// Streams text deltas from token ids as they are generated. A byte-level BPE token may hold only
// part of a UTF-8 character, and some decoders change a token's text depending on the token
// before it (SentencePiece's leading space), so deltas are computed by decoding a short window
// of recent tokens with and without the new ones, and held back while the window ends in U+FFFD
// (an incomplete character) — the approach of HF text-generation-inference.

const REPLACEMENT_CHAR = '\uFFFD';

export class IncrementalDetokenizer {
  private readonly ids: number[] = [];
  private prefixOffset = 0; // start of the context window
  private readOffset = 0; // tokens before this have been emitted as text
  private emitted = '';

  /** decode: ids → text (e.g. tokenizer.decode with special tokens skipped). */
  constructor(private readonly decode: (ids: readonly number[]) => string) {}

  /** Adds generated ids; returns the newly completed text (possibly empty). */
  push(newIds: readonly number[]): string {
    this.ids.push(...newIds);
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const fullText = this.decode(this.ids.slice(this.prefixOffset));
    if (fullText.length > prefixText.length && !fullText.endsWith(REPLACEMENT_CHAR) && fullText.startsWith(prefixText)) {
      const delta = fullText.slice(prefixText.length);
      this.prefixOffset = this.readOffset;
      this.readOffset = this.ids.length;
      this.emitted += delta;
      return delta;
    }
    return '';
  }

  /** At the end of generation: whatever is still held back (an incomplete character decodes as U+FFFD). */
  flush(): string {
    const prefixText = this.decode(this.ids.slice(this.prefixOffset, this.readOffset));
    const fullText = this.decode(this.ids.slice(this.prefixOffset));
    this.prefixOffset = this.readOffset = this.ids.length;
    const delta = fullText.startsWith(prefixText) ? fullText.slice(prefixText.length) : '';
    this.emitted += delta;
    return delta;
  }

  /** All text emitted so far (the concatenation of every delta). */
  get text(): string {
    return this.emitted;
  }
}
