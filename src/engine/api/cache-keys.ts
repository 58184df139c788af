// Where the engine keeps what it measured at load, in the page's IndexedDB (idb-keyval's store):
// the tuned wafer plan per adapter and model, and the path chosen for it. Defined once: the engine
// writes under these prefixes, and the e2e suite seeds test contexts with exactly these records.

/** The tuned plan (backends/plan/model-plan.ts planCacheKey); the version changes when candidates do. */
export const PLAN_CACHE_PREFIX = 'spark-wafer-plan/v4/';
/** The path chosen by measurement (worker/backend-select.ts). */
export const PATH_CACHE_PREFIX = 'spark-path/v1/';

export const ENGINE_CACHE_KEY_PREFIXES: readonly string[] = [PLAN_CACHE_PREFIX, PATH_CACHE_PREFIX];
