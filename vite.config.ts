import { defineConfig, type Plugin } from 'vite';

/**
 * Hosts the page may fetch models from, besides its own origin (connect-src). Nothing is fetched
 * from them until the user asks for a model by hub id or URL. A hub download starts at
 * huggingface.co (the API and /resolve/), which redirects a weight file to its CDN; CSP applies to
 * every redirect target, so each CDN host must be listed too. Which hosts those are comes from the
 * redirects reported when they were blocked: cdn-lfs(-us-1).huggingface.co / .hf.co for LFS
 * (mlc-ai/web-llm#603), cas-bridge.xethub.hf.co for Xet storage (mlc-ai/web-llm#769), and the
 * regional *.cdn.hf.co hosts such as us.aws.cdn.hf.co (yocreoquesi/nukebg#376).
 */
export const MODEL_HOSTS: readonly string[] = [
  'https://huggingface.co',
  'https://cdn-lfs.huggingface.co',
  'https://cdn-lfs-us-1.huggingface.co',
  'https://cdn-lfs.hf.co',
  'https://cdn-lfs-us-1.hf.co',
  'https://cas-bridge.xethub.hf.co',
  'https://*.cdn.hf.co',
];

/** The hub the page's "Model…" field resolves repo ids against. */
export const DEFAULT_HUB_ENDPOINT = 'https://huggingface.co';

/**
 * Build-time additions, read here and nowhere else: SPARK_MODEL_HOSTS (space- or comma-separated
 * origins, e.g. a mirror or the e2e's fixture hub on loopback) joins connect-src, and
 * SPARK_HUB_ENDPOINT replaces huggingface.co as the hub (it joins connect-src as well).
 */
export function buildModelHosts(env: Record<string, string | undefined> = process.env): { hosts: string[]; hubEndpoint: string } {
  const extra = (env['SPARK_MODEL_HOSTS'] ?? '').split(/[\s,]+/).filter(Boolean).map((h) => originOf(h, 'SPARK_MODEL_HOSTS'));
  const hubEndpoint = env['SPARK_HUB_ENDPOINT'] ? originOf(env['SPARK_HUB_ENDPOINT'], 'SPARK_HUB_ENDPOINT') : DEFAULT_HUB_ENDPOINT;
  return { hosts: [...new Set([...MODEL_HOSTS, ...extra, hubEndpoint])], hubEndpoint };
}

function originOf(text: string, variable: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new Error(`${variable}: ${JSON.stringify(text)} is not an origin such as https://models.example.com`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`${variable}: ${JSON.stringify(text)} must be http(s)`);
  return url.origin;
}

const MODEL_SOURCES = buildModelHosts();

/**
 * The page's Content-Security-Policy. Scripts, workers and fetches: own origin only, so no inline
 * script and no eval. Monaco's workers and the engine's worker are separate same-origin files
 * (Vite builds `?worker` and `new Worker(new URL(...))` that way), so worker-src needs no blob:.
 * style-src allows inline styles: Monaco injects <style> elements and style attributes. Fonts:
 * the codicon font is a file, small assets may be inlined as data: URLs; the favicon is data:.
 * `dev` adds the dev server's HMR websocket.
 */
export function contentSecurityPolicy(options: { dev?: { host: string; port: number } } = {}): string {
  const connect = ["'self'", ...MODEL_SOURCES.hosts, ...(options.dev ? [`ws://${options.dev.host}:${options.dev.port}`] : [])];
  return [
    "default-src 'self'",
    "script-src 'self'",
    "worker-src 'self'",
    `connect-src ${connect.join(' ')}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/**
 * Puts the policy into the app's index.html as a <meta http-equiv>, so the static build carries it
 * wherever it is served. The dev server (`npm start`) gets it too: its client is an external module
 * script, not an inline one, so only its websocket needs adding. The bench and generate pages
 * (bench/*.html, scripts/generate.html: peers run WebAssembly) and Vitest's browser mode are left alone.
 */
function cspMeta(): Plugin {
  let policy = contentSecurityPolicy();
  return {
    name: 'spark-csp',
    apply: (_config, env) => env.mode !== 'test' && !process.env['VITEST'],
    configResolved(config) {
      if (config.command === 'serve') { // the dev server (preview serves the built file as it is)
        const host = typeof config.server.host === 'string' ? config.server.host : 'localhost';
        policy = contentSecurityPolicy({ dev: { host, port: config.server.port ?? 5173 } });
      }
    },
    transformIndexHtml: (_html, ctx) => (ctx.path === '/index.html' || ctx.path === '/'
      ? [{ tag: 'meta', attrs: { 'http-equiv': 'Content-Security-Policy', content: policy }, injectTo: 'head-prepend' }]
      : []),
  };
}

export default defineConfig({
  plugins: [cspMeta()],
  // The hub the page resolves repo ids against, and the hosts its CSP lets it fetch models from
  // (a share link's model must be on one); src/build-env.d.ts declares them.
  define: { __SPARK_HUB_ENDPOINT__: JSON.stringify(MODEL_SOURCES.hubEndpoint), __SPARK_MODEL_HOSTS__: JSON.stringify(MODEL_SOURCES.hosts) },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1' },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 8000 },
});
