// Constants vite.config.ts defines at build time.

/** The hub that repo ids typed in the page resolve against (SPARK_HUB_ENDPOINT, else huggingface.co). */
declare const __SPARK_HUB_ENDPOINT__: string;

/** The origins the page's CSP (connect-src) lets it fetch models from: MODEL_HOSTS and the build's additions. */
declare const __SPARK_MODEL_HOSTS__: readonly string[];
