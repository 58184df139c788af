// The replay's page sample: the same simulated user and controller as in Node, over the app's
// engine (its Worker, WebGPU where the page has it), on a few cases; run-replay.ts compares the
// suggestions with the Node run's. Exposes window.sparkReplay.run(spec).

import { createWorkerEngine } from '../../src/engine/index.ts';
import { DEFAULT_SETTINGS } from '../../src/settings.ts';
import { modelSystem } from './model-system.ts';
import { replayCase, type CaseResult, type ReplayCase } from './simulated-user.ts';

export interface PageReplaySpec {
  modelUrl: string;
  model: string;
  gateThreshold: number;
  cases: (ReplayCase & { maxKeystrokes: number })[];
}

export interface PageReplayResult {
  backend: string;
  results: CaseResult[];
}

declare global {
  interface Window {
    sparkReplay?: { run(spec: PageReplaySpec): Promise<PageReplayResult> };
  }
}

async function run(spec: PageReplaySpec): Promise<PageReplayResult> {
  const engine = createWorkerEngine();
  try {
    const ready = await engine.load(spec.modelUrl);
    const { completions } = modelSystem(engine, spec.model);
    const results: CaseResult[] = [];
    for (const c of spec.cases) {
      results.push(await replayCase(c, { engine: completions, debounceMs: DEFAULT_SETTINGS.debounceMs, maxKeystrokes: c.maxKeystrokes, gateThreshold: spec.gateThreshold }));
      document.getElementById('log')!.textContent = `${results.length} / ${spec.cases.length} cases`;
    }
    return { backend: ready.backend, results };
  } finally {
    engine.dispose();
  }
}

window.sparkReplay = { run };
document.getElementById('log')!.textContent = 'ready';
