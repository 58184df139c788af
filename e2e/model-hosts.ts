// The fixture hub the e2e build may contact: a fixed loopback port, because the page's CSP is
// fixed at build time (playwright.config.ts passes it to vite.config.ts as SPARK_MODEL_HOSTS and
// SPARK_HUB_ENDPOINT; security.spec.ts expects it in connect-src).
export const FIXTURE_HUB_PORT = 4179;
export const FIXTURE_HUB_URL = `http://127.0.0.1:${FIXTURE_HUB_PORT}`;
export const E2E_BUILD_ENV = { SPARK_MODEL_HOSTS: FIXTURE_HUB_URL, SPARK_HUB_ENDPOINT: FIXTURE_HUB_URL };
