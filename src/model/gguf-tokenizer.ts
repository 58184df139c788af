// A GGUF file's tokenizer (tokenizer.ggml.* metadata) as the tokenizer.json and
// tokenizer_config.json a Hugging Face directory would hold, so ModelTokenizer (and the
// @huggingface/tokenizers library under it) runs it unchanged. Only byte-level BPE ("gpt2", what
// Llama 3, Qwen2, SmolLM and StarCoder convert to) is understood; SentencePiece ("llama") is not yet.
//
// GGUF drops the tokenizer.json pre-tokenizer and keeps only a name (tokenizer.ggml.pre) that
// llama.cpp maps to its regexes (llama-vocab.cpp); PRE_TOKENIZERS maps the same names back to the
// Split regexes of the models' own tokenizer.json files, which the library reads as Oniguruma does.
import type { MetadataValue } from '@huggingface/gguf';

/** Token types of tokenizer.ggml.token_type (llama.cpp's llama_token_type). */
const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

const split = (regex: string) => ({ type: 'Split', pattern: { Regex: regex }, behavior: 'Isolated', invert: false });
/** What ByteLevel's use_regex applies (GPT-2's pattern), as an explicit Split. */
const GPT2_REGEX = String.raw`'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`;
const LLAMA3_REGEX = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;
const QWEN2_REGEX = String.raw`(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`;

/** tokenizer.ggml.pre → the Split pre-tokenizers that run before ByteLevel, in order. */
const PRE_TOKENIZERS: Readonly<Record<string, readonly object[]>> = {
  'llama-bpe': [split(LLAMA3_REGEX)],
  qwen2: [split(QWEN2_REGEX)],
  // SmolLM and StarCoder: Digits(individual_digits) then ByteLevel(use_regex).
  smollm: [split(String.raw`\p{N}`), split(GPT2_REGEX)],
  starcoder: [split(String.raw`\p{N}`), split(GPT2_REGEX)],
  'gpt-2': [split(GPT2_REGEX)],
  'deepseek-coder': [split('[\r\n]'), split(String.raw`\s?\p{L}+`), split(String.raw`\s?\p{P}+`), split('[一-龥ࠀ-一가-퟿]+'), split(String.raw`\p{N}`)],
  // llama.cpp's fallback for a BPE vocabulary its converter did not recognise.
  default: [split(String.raw`[\p{P}\$\+<=>\^~\|]+`), split(GPT2_REGEX), split(String.raw`\p{N}+`), split('[0-9][0-9][0-9]')],
};
export const SUPPORTED_PRE_TOKENIZERS: readonly string[] = Object.keys(PRE_TOKENIZERS);

export interface GgufTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  /** tokenizer.ggml.tokens length: the model's vocabulary size. */
  vocabSize: number;
  bosTokenId?: number;
  /** eos, then end-of-turn / end-of-message when the file names them (chat models stop on those). */
  eosTokenIds: number[];
}

/** Reads tokenizer.ggml.* from parsed GGUF metadata; throws an Error naming the key on anything malformed. */
export function ggufTokenizer(meta: Readonly<Record<string, MetadataValue>>, fileName: string): GgufTokenizerFiles {
  const fail = (msg: string): never => { throw new Error(`${fileName}: ${msg}`); };
  const get = (key: string): MetadataValue | undefined => (Object.hasOwn(meta, key) ? meta[key] : undefined);
  const model = get('tokenizer.ggml.model');
  if (model === undefined) fail('no tokenizer.ggml.model: the file carries no tokenizer');
  if (model === 'llama') fail('tokenizer.ggml.model "llama" (SentencePiece) is not supported yet; only "gpt2" (byte-level BPE) is');
  if (model !== 'gpt2') fail(`tokenizer.ggml.model ${JSON.stringify(String(model))} is not supported yet; only "gpt2" (byte-level BPE) is`);

  const tokens = stringList(get('tokenizer.ggml.tokens'), 'tokenizer.ggml.tokens', fail);
  if (tokens.length === 0) fail('tokenizer.ggml.tokens is empty');
  const merges = stringList(get('tokenizer.ggml.merges') ?? [], 'tokenizer.ggml.merges', fail);
  merges.forEach((m, i) => {
    const parts = m.split(' ');
    if (parts.length !== 2 || parts[0] === '' || parts[1] === '') fail(`tokenizer.ggml.merges[${i}] ${JSON.stringify(m)} is not two tokens separated by one space`);
  });
  const rawTypes = get('tokenizer.ggml.token_type');
  const types = rawTypes === undefined ? undefined : intList(rawTypes, 'tokenizer.ggml.token_type', fail);
  if (types && types.length !== tokens.length) fail(`tokenizer.ggml.token_type has ${types.length} entries for ${tokens.length} tokens`);
  const pre = get('tokenizer.ggml.pre') ?? 'default';
  const splits = typeof pre === 'string' && Object.hasOwn(PRE_TOKENIZERS, pre) ? PRE_TOKENIZERS[pre]! : undefined;
  if (!splits) fail(`tokenizer.ggml.pre ${JSON.stringify(String(pre))} is not supported yet (supported: ${SUPPORTED_PRE_TOKENIZERS.join(', ')})`);

  const tokenId = (key: string): number | undefined => {
    const v = get(`tokenizer.ggml.${key}`);
    if (v === undefined) return undefined;
    const id = typeof v === 'bigint' ? Number(v) : v;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0 || id >= tokens.length) {
      fail(`tokenizer.ggml.${key} ${String(v)} is not a token id below ${tokens.length}`);
    }
    return id as number;
  };
  const bos = tokenId('bos_token_id');
  const eos = tokenId('eos_token_id');
  const pad = tokenId('padding_token_id');
  const stops = [eos, tokenId('eot_token_id'), tokenId('eom_token_id')].filter((id): id is number => id !== undefined);

  // A null prototype: a token spelled "__proto__" must be a key like any other.
  const vocab = Object.create(null) as Record<string, number>;
  const added: object[] = [];
  tokens.forEach((content, id) => {
    vocab[content] = id;
    const type = types?.[id];
    // The converter writes HF's special added tokens (and ones that look special) as control
    // tokens, its other added tokens as user-defined; both are matched whole, before BPE.
    if (type === TOKEN_TYPE.control || type === TOKEN_TYPE.userDefined) {
      const special = type === TOKEN_TYPE.control || looksSpecial(content);
      added.push({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special });
    }
  });

  const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false };
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: added,
    normalizer: null,
    pre_tokenizer: { type: 'Sequence', pretokenizers: [...splits!, byteLevel] },
    post_processor: null,
    decoder: byteLevel,
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      // Llama 3's tokenizer.json says ignore_merges, and llama.cpp does the same for llama-bpe.
      fuse_unk: false, byte_fallback: false, ignore_merges: pre === 'llama-bpe', vocab, merges,
    },
  };
  // Whether a prompt starts with BOS (Llama 3, DeepSeek-Coder): the converter writes it from the HF
  // tokenizer's add_bos_token or post-processor; absent, none is added.
  const addBos = get('tokenizer.ggml.add_bos_token');
  if (addBos !== undefined && typeof addBos !== 'boolean') fail(`tokenizer.ggml.add_bos_token must be a boolean, got ${JSON.stringify(String(addBos))}`);
  const tokenizerConfig: Record<string, unknown> = { add_bos_token: addBos === true };
  if (bos !== undefined) tokenizerConfig['bos_token'] = tokens[bos];
  if (eos !== undefined) tokenizerConfig['eos_token'] = tokens[eos];
  if (pad !== undefined) tokenizerConfig['pad_token'] = tokens[pad];
  // An instruct model's Jinja chat template, as tokenizer_config.json would hold it.
  const template = get('tokenizer.chat_template');
  if (typeof template === 'string' && template.trim() !== '') tokenizerConfig['chat_template'] = template;
  return {
    tokenizerJson, tokenizerConfig, vocabSize: tokens.length,
    ...(bos !== undefined ? { bosTokenId: bos } : {}), eosTokenIds: [...new Set(stops)],
  };
}

/** llama.cpp's converter's does_token_look_special, plus StarCoder's FIM spellings, for older files. */
function looksSpecial(token: string): boolean {
  return (token.startsWith('<|') && token.endsWith('|>')) || (token.startsWith('<｜') && token.endsWith('｜>'))
    || /^<(fim_(prefix|middle|suffix|pad)|file_sep|repo_name|filename)>$/.test(token);
}

function stringList(v: MetadataValue | undefined, key: string, fail: (msg: string) => never): string[] {
  if (!Array.isArray(v)) return fail(`${key} is ${v === undefined ? 'missing' : 'not an array'}`);
  const i = v.findIndex((s) => typeof s !== 'string');
  if (i >= 0) fail(`${key}[${i}] is not a string`);
  return v as string[];
}

function intList(v: MetadataValue, key: string, fail: (msg: string) => never): number[] {
  if (!Array.isArray(v)) return fail(`${key} is not an array`);
  return v.map((x, i) => (typeof x === 'number' && Number.isInteger(x) ? x : fail(`${key}[${i}] is not an integer`)));
}
