// The storage every e2e test context starts from (written by global-setup.ts): the engine's
// measured caches only, so a test's page load reuses one measurement instead of repeating it.
export { ENGINE_CACHE_KEY_PREFIXES } from '../src/engine/index.ts';

// Not under test-results/, which Playwright empties at the start of a run.
export const SEED_STATE = 'node_modules/.cache/spark-e2e/storage-state.json';
