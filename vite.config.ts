import { defineConfig, type Plugin } from 'vite';

/**
 * Hosts the engine may fetch models from, besides the page's own origin (connect-src). Empty: the
 * app ships its model and loads nothing from elsewhere. A build that lets users pick models from a
 * hub lists that hub here (e.g. 'https://huggingface.co', 'https://cdn-lfs.huggingface.co').
 */
export const MODEL_HOSTS: readonly string[] = [];

/**
 * The page's Content-Security-Policy. Scripts, workers and fetches: own origin only, so no inline
 * script and no eval. Monaco's workers and the engine's worker are separate same-origin files
 * (Vite builds `?worker` and `new Worker(new URL(...))` that way), so worker-src needs no blob:.
 * style-src allows inline styles: Monaco injects <style> elements and style attributes. Fonts:
 * the codicon font is a file, small assets may be inlined as data: URLs; the favicon is data:.
 * `dev` adds the dev server's HMR websocket.
 */
export function contentSecurityPolicy(options: { dev?: { host: string; port: number } } = {}): string {
  const connect = ["'self'", ...MODEL_HOSTS, ...(options.dev ? [`ws://${options.dev.host}:${options.dev.port}`] : [])];
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
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1' },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 8000 },
});
