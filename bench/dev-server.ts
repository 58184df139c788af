// The app's Vite dev server (what `npm start` runs: the app's own config, workers, ?raw shaders) on
// a free port, for the bench and the latency probe. No HMR or watching: an edit in the tree must
// not reload a page in the middle of a measurement.
import type { AddressInfo } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer, type ViteDevServer } from 'vite';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export async function startServer(): Promise<{ server: ViteDevServer; origin: string }> {
  const server = await createServer({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), logLevel: 'error', clearScreen: false, server: { port: 0, strictPort: false, hmr: false, watch: null } });
  await server.listen();
  const addr = server.httpServer?.address() as AddressInfo | null;
  if (!addr) throw new Error('vite did not report its address');
  return { server, origin: `http://127.0.0.1:${addr.port}` };
}
