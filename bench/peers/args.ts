// Pure argument handling for run-peers.ts (unit-tested in args.test.ts).

export interface PeersArgs {
  /** HF-layout model dir; empty = public/models/spark-nano if it has weights, else a fixture. */
  model: string;
  prompt?: number[];
  /** Prompt as text; tokenized with the model's tokenizer.json when --prompt ids are not given. */
  promptText?: string;
  reference?: number[];
  maxNewTokens: number;
  /** Which rows to run. */
  peers: PeerName[];
  /** Serve with COOP/COEP so the wasm backends may use threads. */
  isolate: boolean;
  /** Per-peer budget in ms (a hung peer becomes a failed row, not a hung bench). */
  timeoutMs: number;
  json: string;
  /** Serve this GGUF to wllama instead of exporting one (e.g. training/export.py's f16 file). */
  gguf: string;
  /** Timed generations per peer after its warm-up; rows report the median. */
  repeats: number;
}

export const PEER_NAMES = ['transformers.js:webgpu', 'transformers.js:wasm', 'wllama:wasm', 'wllama:webgpu'] as const;
export type PeerName = (typeof PEER_NAMES)[number];

/** "1,2, 3" → [1, 2, 3]; throws on anything that is not a non-negative integer. */
export function parseIdList(text: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  return parts.map((s) => {
    if (!/^\d+$/.test(s)) throw new Error(`not a token id: "${s}"`);
    return Number(s);
  });
}

export function parseArgs(argv: readonly string[]): PeersArgs {
  const out: PeersArgs = {
    model: '',
    maxNewTokens: 50,
    peers: [...PEER_NAMES],
    isolate: true,
    timeoutMs: 300_000,
    json: '',
    gguf: '',
    repeats: 3,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      return v;
    };
    switch (flag) {
      case '--model': out.model = value(); break;
      case '--prompt': out.prompt = parseIdList(value()); break;
      case '--prompt-text': out.promptText = value(); break;
      case '--reference': out.reference = parseIdList(value()); break;
      case '--n': out.maxNewTokens = positiveInt(value(), flag); break;
      case '--timeout': out.timeoutMs = positiveInt(value(), flag); break;
      case '--json': out.json = value(); break;
      case '--gguf': out.gguf = value(); break;
      case '--repeats': out.repeats = positiveInt(value(), flag); break;
      case '--no-isolate': out.isolate = false; break;
      case '--peers': out.peers = parsePeers(value()); break;
      default: throw new Error(`unknown argument: ${flag}`);
    }
  }
  return out;
}

function positiveInt(s: string, flag: string | undefined): number {
  const n = Number(s);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} must be a positive integer, got "${s}"`);
  return n;
}

function parsePeers(s: string): PeerName[] {
  const names = s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  for (const n of names) {
    if (!(PEER_NAMES as readonly string[]).includes(n)) {
      throw new Error(`unknown peer "${n}"; known: ${PEER_NAMES.join(', ')}`);
    }
  }
  return names as PeerName[];
}

/**
 * The default benchmark prompt: ordinary code with no apostrophes, because wllama only takes
 * text and llama.cpp's llama-bpe pre-tokenizer (export_gguf.py) splits English contractions
 * where ours does not; anything else tokenizes to the same ids in every peer.
 */
export const DEFAULT_PROMPT_TEXT = [
  'def merge_sorted(left, right):',
  '    result = []',
  '    i = j = 0',
  '    while i < len(left) and j < len(right):',
  '        if left[i] <= right[j]:',
  '            result.append(left[i])',
  '',
].join('\n');
