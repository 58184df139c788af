// A small byte-level BPE tokenizer.json built in code for the generated test model. It has the
// same shape as the shipped model's (training/tokenizer.py): special tokens first, then the 256
// byte symbols, then merges learned here by a tiny deterministic BPE over a fixed code sample.
import { byteToCharTable } from '../model/byte-level.ts';

export const TEST_SPECIAL_TOKENS = ['<|endoftext|>', '<fim_prefix>', '<fim_middle>', '<fim_suffix>', '<file_sep>'] as const;

/** Same pre-tokenization regex as training/tokenizer.py (valid in JS `u` mode and Oniguruma). */
const SPLIT_PATTERN = String.raw`[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\p{White_Space}\p{L}\p{N}]+[\r\n]*|\p{White_Space}*[\r\n]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+`;

const TRAINING_SAMPLE = `def fibonacci(n):
    if n < 2:
        return n
    return fibonacci(n - 1) + fibonacci(n - 2)

function add(a, b) {
  return a + b;
}

for (let i = 0; i < items.length; i++) {
  const item = items[i];
  if (item.value > max) max = item.value;
}

class Point:
    def __init__(self, x, y):
        self.x = x
        self.y = y
`;

/** Learns `numMerges` merges: most frequent adjacent pair first, ties broken by the pair's string. */
function learnMerges(numMerges: number, byteChar: string[]): [string, string][] {
  const words = new Map<string, number>();
  for (const m of TRAINING_SAMPLE.matchAll(new RegExp(SPLIT_PATTERN, 'gu'))) {
    const symbols = [...new TextEncoder().encode(m[0])].map((b) => byteChar[b]!).join('\u0000');
    words.set(symbols, (words.get(symbols) ?? 0) + 1);
  }
  let corpus = [...words].map(([w, count]) => ({ symbols: w.split('\u0000'), count }));
  const merges: [string, string][] = [];
  while (merges.length < numMerges) {
    const pairs = new Map<string, number>();
    for (const { symbols, count } of corpus) {
      for (let i = 0; i + 1 < symbols.length; i++) {
        const key = `${symbols[i]}\u0000${symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + count);
      }
    }
    const best = [...pairs].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))[0];
    if (!best) throw new Error(`test tokenizer: the sample only supports ${merges.length} merges`);
    const [left, right] = best[0].split('\u0000') as [string, string];
    merges.push([left, right]);
    corpus = corpus.map(({ symbols, count }) => {
      const out: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (symbols[i] === left && symbols[i + 1] === right) { out.push(left + right); i++; } else out.push(symbols[i]!);
      }
      return { symbols: out, count };
    });
  }
  return merges;
}

export interface TestTokenizerFiles {
  tokenizerJson: Record<string, unknown>;
  tokenizerConfigJson: Record<string, unknown>;
  vocabSize: number;
}

/** tokenizer.json + tokenizer_config.json; vocabSize = 5 specials + 256 bytes + numMerges. */
export function buildTestTokenizer(numMerges = 40): TestTokenizerFiles {
  const byteChar = byteToCharTable();
  const specials = TEST_SPECIAL_TOKENS.length;
  const vocab: Record<string, number> = {};
  byteChar.forEach((ch, b) => { vocab[ch] = specials + b; });
  const merges = learnMerges(numMerges, byteChar);
  merges.forEach(([a, b], i) => { vocab[a + b] = specials + 256 + i; });
  const vocabSize = specials + 256 + merges.length;
  if (Object.keys(vocab).length !== vocabSize - specials) throw new Error('test tokenizer: duplicate vocab strings');
  const tokenizerJson = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: TEST_SPECIAL_TOKENS.map((content, id) => ({
      id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
    })),
    normalizer: null,
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ],
    },
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null,
      fuse_unk: false, byte_fallback: false, ignore_merges: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`),
    },
  };
  const tokenizerConfigJson = {
    tokenizer_class: 'PreTrainedTokenizerFast',
    bos_token: null,
    eos_token: '<|endoftext|>',
    add_bos_token: false,
    add_eos_token: false,
    clean_up_tokenization_spaces: false,
    model_max_length: 512,
    additional_special_tokens: [...TEST_SPECIAL_TOKENS.slice(1)],
  };
  return { tokenizerJson, tokenizerConfigJson, vocabSize };
}
