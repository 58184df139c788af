// `npm run latency -- [--url <app>] [--pauses N] [--waterfall] [--gate T]`: keystroke → ghost after a
// pause, from outside the app (pause-latency.ts), in headless Chromium; --waterfall also checks the
// HUD's waterfall against it; --gate sets the confidence gate's threshold (0 shows every suggestion). With --url it measures a running app (the README's
// `npm start` serves http://127.0.0.1:5173/); without, it serves the app itself the same way.
import { chromium } from '@playwright/test';
import { launchOptions } from '../scripts/browser.ts';
import { ROOT, startServer } from './dev-server.ts';
import { measurePauseLatency } from './pause-latency.ts';
import { pauseSummary } from './pause-report.ts';
import { parseSettingInput } from '../src/settings.ts';

export interface LatencyArgs { url?: string; pauses: number; waterfall: boolean; gateThreshold?: number }

export function parseLatencyArgs(argv: readonly string[]): LatencyArgs {
  const args: LatencyArgs = { pauses: 12, waterfall: false };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new Error(`${flag} needs a value`);
      return v;
    };
    if (flag === '--url') args.url = value();
    else if (flag === '--waterfall') args.waterfall = true;
    else if (flag === '--pauses') {
      args.pauses = Number(value());
      if (!Number.isInteger(args.pauses) || args.pauses < 1) throw new Error('--pauses must be a whole number ≥ 1');
    } else if (flag === '--gate') {
      const parsed = parseSettingInput('gateThreshold', value());
      if (!parsed.ok) throw new Error(`--gate: ${parsed.error}`);
      args.gateThreshold = parsed.value as number;
    } else if (flag !== '--') throw new Error(`unknown argument: ${flag} (known: --url <app url>, --pauses N, --waterfall, --gate T)`);
  }
  return args;
}

export async function main(argv: readonly string[]): Promise<void> {
  const args = parseLatencyArgs(argv);
  const own = args.url === undefined ? await startServer() : undefined;
  const browser = await chromium.launch(launchOptions());
  try {
    const result = await measurePauseLatency(browser, args.url ?? `${own!.origin}/`, args.pauses, ROOT, { waterfall: args.waterfall, ...(args.gateThreshold !== undefined ? { gateThreshold: args.gateThreshold } : {}) });
    process.stderr.write(pauseSummary(result) + '\n');
    process.stdout.write(JSON.stringify(result) + '\n');
  } finally {
    await browser.close().catch(() => undefined);
    await own?.server.close();
  }
}
