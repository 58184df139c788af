// `npm run bench -- [--quick] [--out <dir>] [--no-peers] [--no-editor] [--no-replay]`: argument handling, pure so
// it is unit-tested (bench-args.test.ts).

export interface BenchArgs {
  /** A smoke-sized run (< 3 minutes here): fewer repeats, fewer tokens, one peer. */
  quick: boolean;
  /** Where bench.json, bench.md and bench.svg go; default bench/out/<UTC timestamp>. */
  out: string;
  peers: boolean;
  editor: boolean;
  /** The typing replay (npm run replay) in a full run; off: --no-replay. */
  replay: boolean;
}

export function parseBenchArgs(argv: readonly string[], now = new Date()): BenchArgs {
  const args: BenchArgs = { quick: false, out: '', peers: true, editor: true, replay: true };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    switch (flag) {
      case '--quick': args.quick = true; break;
      case '--no-peers': args.peers = false; break;
      case '--no-editor': args.editor = false; break;
      case '--no-replay': args.replay = false; break;
      case '--out': {
        const v = argv[++i];
        if (v === undefined || v.startsWith('--')) throw new Error('--out needs a directory');
        args.out = v;
        break;
      }
      case '--': break; // npm run bench -- --quick passes the separator through on some npms
      default: throw new Error(`unknown argument: ${flag} (known: --quick, --out <dir>, --no-peers, --no-editor, --no-replay)`);
    }
  }
  if (!args.out) args.out = `bench/out/${now.toISOString().replace(/[:.]/g, '-').slice(0, 19)}`;
  return args;
}
