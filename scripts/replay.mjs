#!/usr/bin/env node
// `npm run replay -- …`: runs bench/replay/run-replay.ts in Node through a Vite server's module
// loader, which keeps serving the engine's on-demand imports (and its ?raw WGSL) for the whole run.
// See bench/replay/replay-args.ts for the flags.
import { createServer } from 'vite';

const server = await createServer({
  configFile: new URL('../vite.config.ts', import.meta.url).pathname, logLevel: 'error', appType: 'custom',
  server: { middlewareMode: true, hmr: false, ws: false },
  // The engine uses `using` declarations; this Node has none, so the transform lowers them.
  oxc: { target: `node${process.versions.node.split('.')[0]}` },
});
let code = 0;
try {
  const module = await server.ssrLoadModule('/bench/replay/run-replay.ts'); // root-relative: an absolute path loses ?raw
  await module.main(process.argv.slice(2));
} catch (err) {
  console.error(`[replay] failed: ${err instanceof Error ? err.stack ?? err.message : err}`);
  code = 1;
} finally {
  await server.close();
}
process.exit(code);
