// Persisting tuned wafer plans: an IndexedDB PlanCache (idb-keyval) for the worker, so the
// autotune runs once per adapter + model and later loads reuse its measurement.
// Opt in with createGpuBackend(model, { planCache: 'indexeddb' }) — a string survives postMessage.
import { get, set } from 'idb-keyval';
import type { PlanCache, TunedPlan } from './autotune.ts';

export function indexedDbPlanCache(): PlanCache {
  if (typeof indexedDB === 'undefined') throw new Error('plan cache: IndexedDB is not available here');
  return {
    get: async (key) => (await get<TunedPlan>(key)) ?? undefined,
    set: (key, value) => set(key, value),
  };
}
