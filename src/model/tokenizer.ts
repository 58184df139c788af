// The model's tokenizer: a thin wrapper over @huggingface/tokenizers built from tokenizer.json
// (+ tokenizer_config.json when present). It never adds BOS/EOS or other template tokens —
// the prompt builder decides exactly which special tokens a prompt holds — and never applies
// "clean up tokenization spaces", which would corrupt code (" ." → ".").
import { Tokenizer } from '@huggingface/tokenizers';
import { MODEL_LIMITS } from './limits.ts';

/**
 * Spellings of the FIM / document tokens across model families: StarCoder and SmolLM, Qwen2.5-Coder,
 * DeepSeek-Coder (whose <｜fim▁begin｜>{prefix}<｜fim▁hole｜>{suffix}<｜fim▁end｜> is PSM under other names).
 */
const SPECIAL_SPELLINGS = {
  fimPrefix: ['<fim_prefix>', '<|fim_prefix|>', '<｜fim▁begin｜>'],
  fimSuffix: ['<fim_suffix>', '<|fim_suffix|>', '<｜fim▁hole｜>'],
  fimMiddle: ['<fim_middle>', '<|fim_middle|>', '<｜fim▁end｜>'],
  endOfText: ['<|endoftext|>'],
  fileSep: ['<file_sep>', '<|file_sep|>'],
} as const;

export interface SpecialTokenIds {
  fimPrefix?: number;
  fimSuffix?: number;
  fimMiddle?: number;
  endOfText?: number;
  fileSep?: number;
  /** tokenizer_config.json's eos_token, if it names a known token. */
  eos?: number;
  bos?: number;
  /** Every added token marked special (the natural stop set for completions). */
  all: readonly number[];
}

export class ModelTokenizer {
  readonly specials: SpecialTokenIds;
  /**
   * The BOS id when the model's prompts start with it (tokenizer_config.json's add_bos_token, or a
   * post-processor that adds it, as Llama 3's and DeepSeek-Coder's do); encode() itself adds none.
   */
  readonly promptBos: number | undefined;
  /** One more than the largest token id (model vocab plus added tokens). */
  readonly vocabSize: number;
  private readonly specialIds: ReadonlySet<number>;

  private constructor(private readonly inner: Tokenizer, config: Record<string, unknown>) {
    const added = inner.get_added_tokens_decoder();
    const all = [...added.values()].filter((t) => t.special).map((t) => t.id).sort((a, b) => a - b);
    this.specialIds = new Set(all);
    const find = (spellings: readonly string[]) => {
      for (const s of spellings) {
        const id = inner.token_to_id(s);
        if (id !== undefined) return id;
      }
      return undefined;
    };
    const named = (field: string) => {
      const v = config[field];
      const content = typeof v === 'string' ? v : (v as { content?: unknown } | null)?.content;
      return typeof content === 'string' ? inner.token_to_id(content) : undefined;
    };
    this.specials = {
      fimPrefix: find(SPECIAL_SPELLINGS.fimPrefix),
      fimSuffix: find(SPECIAL_SPELLINGS.fimSuffix),
      fimMiddle: find(SPECIAL_SPELLINGS.fimMiddle),
      endOfText: find(SPECIAL_SPELLINGS.endOfText),
      fileSep: find(SPECIAL_SPELLINGS.fileSep),
      eos: named('eos_token'),
      bos: named('bos_token'),
      all,
    };
    const bos = this.specials.bos;
    const addBos = config['add_bos_token'];
    const adds = addBos === true || (addBos !== false && bos !== undefined && inner.encode('a', { add_special_tokens: true }).ids[0] === bos);
    this.promptBos = adds ? bos : undefined;
    let max = -1;
    for (const id of inner.get_vocab(true).values()) max = Math.max(max, id);
    this.vocabSize = max + 1;
  }

  /**
   * tokenizerJson: parsed tokenizer.json; tokenizerConfig: parsed tokenizer_config.json or {};
   * vocabSize: config.json's, which every token id must be below (else MODEL_LIMITS.vocabSize).
   */
  static fromJson(tokenizerJson: unknown, tokenizerConfig: unknown = {}, options: { vocabSize?: number } = {}): ModelTokenizer {
    if (typeof tokenizerJson !== 'object' || tokenizerJson === null || Array.isArray(tokenizerJson)) throw new Error('tokenizer.json: expected a JSON object');
    checkTokenIds(tokenizerJson as Record<string, unknown>, options.vocabSize);
    const config = (typeof tokenizerConfig === 'object' && tokenizerConfig !== null ? tokenizerConfig : {}) as Record<string, unknown>;
    let inner: Tokenizer;
    try {
      inner = new Tokenizer(tokenizerJson, config);
    } catch (err) {
      throw new Error(`tokenizer.json: ${(err as Error).message}`, { cause: err });
    }
    return new ModelTokenizer(inner, config);
  }

  /**
   * Token ids for `text`, with no BOS/EOS added. Special-token text inside `text` (e.g. a
   * literal "<fim_prefix>") is matched as the special token, as in the HF tokenizers.
   */
  encode(text: string): number[] {
    if (text.length === 0) return [];
    return this.inner.encode(text, { add_special_tokens: false }).ids;
  }

  /** Text for ids; partial UTF-8 sequences decode to U+FFFD (use IncrementalDetokenizer to stream). */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    // Checkpoints often pad the embedding past the tokenizer (vocab_size 151936 vs ~151665
    // tokens): a model can emit such an id, which has no text, so it decodes to nothing.
    const known = ids.filter((id) => this.inner.id_to_token(id) !== undefined);
    if (known.length === 0) return '';
    return this.inner.decode(known, { skip_special_tokens: options.skipSpecialTokens ?? false, clean_up_tokenization_spaces: false });
  }

  tokenId(content: string): number | undefined {
    return this.inner.token_to_id(content);
  }

  tokenString(id: number): string | undefined {
    return this.inner.id_to_token(id);
  }

  isSpecial(id: number): boolean {
    return this.specialIds.has(id);
  }
}

/**
 * Every token id in tokenizer.json is a non-negative integer below the vocabulary. The tokenizer
 * library indexes an array by id, so one id of 1e9 would cost it a billion-slot array and a minute
 * of work; this check reads each id once, before the library sees any of them.
 */
function checkTokenIds(json: Record<string, unknown>, vocabSize: number | undefined): void {
  const bound = vocabSize ?? MODEL_LIMITS.vocabSize;
  const check = (where: string, id: unknown, content: unknown) => {
    const what = `tokenizer.json: ${where} id ${JSON.stringify(id)} (${JSON.stringify(content)})`;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new Error(`${what} is not a non-negative integer`);
    if (id >= bound) {
      throw new Error(vocabSize === undefined ? `${what} is not below the vocabulary limit ${bound}` : `${what} is not below config.json vocab_size ${bound}`);
    }
  };
  const model = json['model'];
  if (typeof model === 'object' && model !== null) {
    const { type, vocab } = model as Record<string, unknown>;
    // Unigram (named, or implied by a list) has [piece, score] pairs whose id is the index; the
    // others map token -> id. Any other shape the library would read anyway, as string "ids".
    if (Array.isArray(vocab) && (type === undefined || type === 'Unigram')) {
      if (vocab.length > bound) check('model.vocab', vocab.length - 1, (vocab.at(-1) as unknown[] | null)?.[0]);
      vocab.forEach((entry, i) => {
        if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') {
          throw new Error(`tokenizer.json: model.vocab[${i}] is ${JSON.stringify(entry)}, not a [piece, score] pair`);
        }
      });
    } else if (typeof vocab === 'object' && vocab !== null && !Array.isArray(vocab) && type !== 'Unigram') {
      for (const [content, id] of Object.entries(vocab)) check('model.vocab', id, content);
    } else {
      throw new Error(`tokenizer.json: model.vocab is ${JSON.stringify(vocab) ?? 'missing'}, not ${type === 'Unigram' ? 'a list of [piece, score] pairs' : 'an object of token ids'}`);
    }
  }
  const added = json['added_tokens'];
  if (added != null && !Array.isArray(added)) throw new Error('tokenizer.json: added_tokens is not a list');
  for (const token of (added ?? []) as unknown[]) {
    if (typeof token !== 'object' || token === null) throw new Error(`tokenizer.json: added_tokens entry ${JSON.stringify(token)} is not an object`);
    const { id, content } = token as Record<string, unknown>;
    if (typeof content !== 'string') throw new Error(`tokenizer.json: added_tokens id ${JSON.stringify(id)} has no string content`);
    check('added_tokens', id, content);
  }
}
