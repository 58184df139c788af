// The two model slots over real engines (in-process workers, CPU backend, two small test models):
// which engine each request goes to, one engine while Edit is "same as ghost text", each slot's
// failures its own, and dispose releasing both.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ReadyEvent } from '../engine/index.ts';
import { DEFAULT_SETTINGS, SAME_AS_GHOST, SettingsModel, type Settings } from '../settings.ts';
import { inProcessEngine } from '../testing/in-process-engine.ts';
import type { InProcessWorker } from '../testing/fake-worker.ts';
import { makeTestGguf } from '../testing/gguf-test-model.ts';
import { makeTestModelFiles, serveTestModel } from '../testing/test-model.ts';
import { DisposableStore } from '../util/disposable.ts';
import { Emitter } from '../util/emitter.ts';
import { engineCompletions, engineRewrites, type EngineAdapterDeps } from './engine-adapters.ts';
import { ModelSlots } from './model-slots.ts';
import { NoConfidentEditError } from './rewrite/never-worse.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

const BASE = 'http://models.test/';

function serve(): void {
  store.add({ dispose: serveTestModel(`${BASE}a/`, makeTestModelFiles({ seed: 1 })) });
  store.add({ dispose: serveTestModel(`${BASE}b/`, makeTestModelFiles({ seed: 2 })) });
  store.add({ dispose: serveTestModel(`${BASE}missing/`, {}) }); // every file 404
}

function start(settings: Partial<Settings>) {
  serve();
  const model = store.add(new SettingsModel({ ...DEFAULT_SETTINGS, modelId: 'a', ...settings }));
  const workers: InProcessWorker[] = [];
  const statuses: string[] = [];
  const notify = vi.fn();
  const watched = store.add(new Emitter<boolean>());
  const slots = store.add(new ModelSlots({
    settings: model,
    createEngine: () => {
      const { engine, worker } = inProcessEngine();
      workers.push(worker);
      return engine;
    },
    modelUrl: (id) => `${BASE}${id}/`,
    profiling: { watched: false, onDidChangeWatched: (l) => watched.event(l) },
    showStatus: (text) => statuses.push(text),
    notify,
  }));
  const deps: EngineAdapterDeps = {
    engineFor: (role) => slots.engineFor(role), settings: () => model.value, perf: () => undefined,
  };
  return { slots, settings: model, workers, statuses, notify, deps };
}

const generates = (w: InProcessWorker | undefined) => (w ? w.sent.filter((m) => m.type === 'generate').length : 0);
const signal = () => new AbortController().signal;
const complete = (deps: EngineAdapterDeps, alternative?: number) =>
  engineCompletions(deps).complete({ prefix: 'def f(x):\n    return', suffix: '', mode: 'single-line', ...(alternative ? { alternative } : {}) }, () => {}, signal());
/** A rewrite through whichever engine serves Edit; these tests are about routing, so a declined one (a tiny test model rarely beats the original) counts as served. */
const rewrite = (deps: EngineAdapterDeps) => engineRewrites(deps).rewrite(
  { before: 'x = 1\n', original: 'y = 2', after: '\n', instruction: '', language: 'python' }, () => {}, signal())
  .catch((err: unknown) => { if (!(err instanceof NoConfidentEditError)) throw err; });

describe('ModelSlots', () => {
  it('Edit "same as ghost text" (the default): one engine serves completions, alternatives and rewrites', async () => {
    const { slots, workers, deps } = start({});
    expect(DEFAULT_SETTINGS.editModelId).toBe(SAME_AS_GHOST);
    await slots.whenReady('edit');
    expect(workers).toHaveLength(1);
    expect(slots.shared).toBe(true);
    await complete(deps);
    await complete(deps, 1);
    await rewrite(deps);
    expect(generates(workers[0])).toBe(3);
    expect(slots.engineFor('completion')).toMatchObject({ slot: 'ghost', model: 'a' });
    expect(slots.engineFor('rewrite')).toMatchObject({ slot: 'edit', model: 'a' });
    // By identity: toMatchObject would walk the whole engine (its model, tokenizer and workers) as a subset.
    expect(slots.engineFor('rewrite').engine).toBe(slots.ghost.engine);
  });

  it('a different Edit model gets its own engine: completions go to ghost text, rewrites and alternatives to Edit', async () => {
    const { slots, workers, deps } = start({ editModelId: 'b' });
    await Promise.all([slots.whenReady('ghost'), slots.whenReady('edit')]);
    expect(workers).toHaveLength(2);
    const [ghost, edit] = workers;
    await complete(deps);
    expect([generates(ghost), generates(edit)]).toEqual([1, 0]);
    await complete(deps, 1);
    await rewrite(deps);
    expect([generates(ghost), generates(edit)]).toEqual([1, 2]);
    expect(slots.engineFor('completion')).toMatchObject({ slot: 'ghost', model: 'a' });
    expect(slots.engineFor('alternative')).toMatchObject({ slot: 'edit', model: 'b' });
    expect(slots.engineFor('rewrite').engine).toBe(slots.edit!.engine);
  });

  it('a file loaded into the Edit slot runs there; the ghost text model stays', async () => {
    const { slots, workers, deps, settings, statuses } = start({});
    await slots.whenReady('ghost');
    const file = new File([makeTestGguf().gguf as Uint8Array<ArrayBuffer>], 'edit.gguf');
    const ready = await slots.load('edit', { kind: 'file', file });
    expect(ready.backend).toBe('cpu');
    expect(workers).toHaveLength(2);
    await rewrite(deps);
    await complete(deps);
    expect([generates(workers[0]), generates(workers[1])]).toEqual([1, 1]);
    expect(settings.value.editModelId).toBe(SAME_AS_GHOST); // a load through the picker is not a setting
    expect(statuses.at(-1)).toMatch(/^a · CPU fallback .* \| Edit: model file edit\.gguf · CPU fallback/);
    expect(slots.engineFor('rewrite')).toMatchObject({ slot: 'edit', model: 'model file edit.gguf' });
    expect(slots.ghost.modelFile).toBeUndefined();
  });

  it('the download bar hears either slot: progress and readies of a load into Edit, and Cancel reaches it', async () => {
    const { slots, workers } = start({});
    await slots.whenReady('ghost');
    const progress: string[] = [];
    let readies = 0;
    store.add(slots.onLoadProgress((p) => progress.push(p.file)));
    store.add(slots.onReady(() => readies++));
    await slots.load('edit', { kind: 'file', file: new File([makeTestGguf().gguf as Uint8Array<ArrayBuffer>], 'edit.gguf') });
    expect(progress).toContain('edit.gguf');
    expect(readies).toBe(1);
    // Cancel goes to the engine that is loading (here the Edit slot's), not to the idle one.
    const loading = slots.load('edit', { kind: 'folder', id: 'b' });
    slots.cancelLoad();
    expect(workers.map((w) => w.sent.filter((m) => m.type === 'cancelLoad').length)).toEqual([0, 1]);
    await loading;
  });

  it('an Edit model that fails to load leaves ghost text working; Edit goes back to the ghost text model', async () => {
    const { slots, workers, deps, settings, notify, statuses } = start({ editModelId: 'missing' });
    await expect(slots.whenReady('edit')).rejects.toThrow();
    await vi.waitFor(() => expect(slots.edit).toBeUndefined());
    expect(workers[1]!.sent.some((m) => m.type === 'dispose')).toBe(true);
    expect(settings.value.editModelId).toBe(SAME_AS_GHOST);
    expect(notify).toHaveBeenCalledWith(expect.stringMatching(/^Edit: missing failed to load \(.*\); Edit uses the ghost text model\.$/), 'error');
    await slots.whenReady('ghost');
    expect(statuses.at(-1)).toMatch(/^a · .* \| Edit: missing failed to load \(.*\); Edit uses the ghost text model$/);
    await complete(deps);
    await rewrite(deps);
    expect(generates(workers[0])).toBe(2);
  });

  it('an Edit model that fails after one worked keeps the one that worked, in the slot and the settings', async () => {
    const { slots, workers, settings } = start({ editModelId: 'b' });
    await slots.whenReady('edit');
    settings.update({ editModelId: 'missing' });
    const kept: ReadyEvent = await slots.whenReady('edit');
    expect(kept.backend).toBe('cpu');
    expect(settings.value.editModelId).toBe('b');
    expect(slots.engineFor('rewrite')).toMatchObject({ slot: 'edit', model: 'b' });
    expect(workers).toHaveLength(2);
  });

  it('a ghost text model that fails to load leaves the Edit slot working', async () => {
    const { slots, workers, deps } = start({ modelId: 'missing', editModelId: 'b' });
    await expect(slots.whenReady('ghost')).rejects.toThrow();
    await slots.whenReady('edit');
    await rewrite(deps);
    expect(generates(workers[1])).toBe(1);
    expect(slots.edit).toBeDefined();
  });

  it('choosing the ghost text model for Edit closes the second engine; dispose releases both', async () => {
    const { slots, workers, settings } = start({ editModelId: 'b' });
    await slots.whenReady('edit');
    settings.update({ editModelId: 'a' });
    expect(slots.edit).toBeUndefined();
    expect(workers[1]!.sent.some((m) => m.type === 'dispose')).toBe(true);
    expect(settings.value.editModelId).toBe('a'); // what the user chose stays; one engine runs it
    expect(slots.engineFor('rewrite').slot).toBe('edit');
    expect(slots.engineFor('rewrite').engine).toBe(slots.ghost.engine);
    // The ghost text model changes: the Edit model stays 'a', now in an engine of its own.
    settings.update({ modelId: 'b' });
    await slots.whenReady('edit');
    expect(workers).toHaveLength(3);
    expect(slots.engineFor('rewrite').model).toBe('a');
    settings.update({ editModelId: SAME_AS_GHOST });
    expect(slots.edit).toBeUndefined();
    settings.update({ editModelId: 'a' });
    await slots.whenReady('edit');
    expect(workers).toHaveLength(4);
    slots.dispose();
    for (const w of [workers[0], workers[3]]) expect(w!.sent.some((m) => m.type === 'dispose')).toBe(true);
  });

  it('Quantize on load sends quantizeFloats with every load, and loads each slot again when it changes', async () => {
    const { slots, workers, settings } = start({ editModelId: 'b', quantizeOnLoad: 'q8_0' });
    await Promise.all([slots.whenReady('ghost'), slots.whenReady('edit')]);
    const loads = (w: InProcessWorker | undefined) => (w ? w.sent.filter((m) => m.type === 'load') : []);
    const quantizeOf = (m: unknown) => (m as { gpuOptions?: { quantizeFloats?: string } }).gpuOptions?.quantizeFloats;
    expect(workers.map((w) => loads(w).map(quantizeOf))).toEqual([['q8_0'], ['q8_0']]);
    settings.update({ quantizeOnLoad: 'off' });
    await Promise.all([slots.whenReady('ghost'), slots.whenReady('edit')]);
    expect(workers.map((w) => loads(w).map(quantizeOf))).toEqual([['q8_0', undefined], ['q8_0', undefined]]);
    expect(slots.engineFor('completion').model).toBe('a');
    expect(slots.engineFor('rewrite').model).toBe('b');
    // A link that changes the model and the quantization at once: one load of the new model.
    settings.update({ modelId: 'b', editModelId: SAME_AS_GHOST, quantizeOnLoad: 'q4_0' });
    await slots.whenReady('ghost');
    expect(loads(workers[0]).map(quantizeOf)).toEqual(['q8_0', undefined, 'q4_0']);
  });

  it('Engine path sends its backend with every load, loads each slot again when it changes, and the status says why that path runs', async () => {
    const { slots, workers, settings, statuses } = start({ editModelId: 'b' });
    await Promise.all([slots.whenReady('ghost'), slots.whenReady('edit')]);
    const backends = (w: InProcessWorker | undefined) => (w ? w.sent.filter((m) => m.type === 'load').map((m) => (m as { backend?: string }).backend) : []);
    expect(workers.map(backends)).toEqual([['auto'], ['auto']]);
    settings.update({ enginePath: 'cpu' });
    await Promise.all([slots.whenReady('ghost'), slots.whenReady('edit')]);
    expect(workers.map(backends)).toEqual([['auto', 'cpu'], ['auto', 'cpu']]);
    expect(statuses.at(-1)).toMatch(/^a · CPU reference · CPU, as the settings ask \| Edit: b$/);
  });
});
