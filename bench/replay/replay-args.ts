// `npm run replay -- [--files <paths…>] [--max-keystrokes N] [--model <id|folder|file.gguf>] [--json]
//                    [--quick] [--no-page] [--make-ngram <train.jsonl>] [--calibrate <train.jsonl>]
//                    [--copy-tolerance <nats>]`: argument handling, pure so it is unit-tested.

export interface ReplayArgs {
  /** Files to replay (their language by extension); empty: the held-out sample. */
  files: string[];
  /** Keystrokes per file, at most. */
  maxKeystrokes: number;
  /** A model under public/models/, a local HF folder or a .gguf file. */
  model: string;
  /** Print the result as JSON on the last line. */
  json: boolean;
  /** The pipeline's smoke test: a few keystrokes of one file per language, a few Edit cases. */
  quick: boolean;
  /** Instead of replaying: build the n-gram baseline's table from this corpus file. */
  makeNgram: string | undefined;
  /** Replay a sample in Chromium too, and compare (off: --no-page). */
  page: boolean;
  /** Instead of replaying held-out code: calibrate the confidence gate on this corpus file (the training split). */
  calibrate: string | undefined;
  /** The model's copy tolerance in nats, instead of the calibrated one (what-if runs). */
  copyTolerance: number | undefined;
}

export const DEFAULT_MAX_KEYSTROKES = 200;
export const QUICK_MAX_KEYSTROKES = 24;
export const DEFAULT_REPLAY_MODEL = 'spark-nano';
const USAGE = 'usage: npm run replay -- [--files <paths…>] [--max-keystrokes N] [--model <id|folder|file.gguf>] [--json] [--quick] [--no-page] [--make-ngram <train.jsonl>] [--calibrate <train.jsonl>] [--copy-tolerance <nats>]';

export function parseReplayArgs(argv: readonly string[]): ReplayArgs {
  const args: ReplayArgs = { files: [], maxKeystrokes: DEFAULT_MAX_KEYSTROKES, model: DEFAULT_REPLAY_MODEL, json: false, quick: false, makeNgram: undefined, page: true, calibrate: undefined, copyTolerance: undefined };
  let maxGiven = false;
  const value = (i: number, flag: string, what: string) => {
    const v = argv[i];
    if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs ${what}\n${USAGE}`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    switch (flag) {
      case '--files':
        while (argv[i + 1] !== undefined && !argv[i + 1]!.startsWith('--')) args.files.push(argv[++i]!);
        if (args.files.length === 0) throw new Error(`--files needs at least one path\n${USAGE}`);
        break;
      case '--max-keystrokes': {
        const v = value(++i, flag, 'a number');
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new Error(`--max-keystrokes must be a whole number of at least 1, got "${v}"`);
        args.maxKeystrokes = n;
        maxGiven = true;
        break;
      }
      case '--model': args.model = value(++i, flag, 'a model id, folder or .gguf file'); break;
      case '--make-ngram': args.makeNgram = value(++i, flag, 'a corpus .jsonl file'); break;
      case '--calibrate': args.calibrate = value(++i, flag, 'a corpus .jsonl file (the training split)'); break;
      case '--copy-tolerance': {
        const v = value(++i, flag, 'a number of nats');
        const t = Number(v);
        if (!Number.isFinite(t) || t < 0) throw new Error(`--copy-tolerance must be a number of at least 0, got "${v}"`);
        args.copyTolerance = t;
        break;
      }
      case '--json': args.json = true; break;
      case '--quick': args.quick = true; break;
      case '--no-page': args.page = false; break;
      case '--': break;
      default: throw new Error(`unknown argument: ${flag}\n${USAGE}`);
    }
  }
  if (args.quick && !maxGiven) args.maxKeystrokes = QUICK_MAX_KEYSTROKES;
  return args;
}
