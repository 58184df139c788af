// The f16 project's GPU (vitest.config.ts): Dawn in Node (the `webgpu` package) on the Vulkan
// driver the environment names, which `npm test` sets to Mesa's lavapipe
// (scripts/ensure-lavapipe.mjs). The tests then run as in the browser: navigator.gpu and the
// GPU* constants are globals. The project exists for what SwiftShader lacks, so an adapter without
// shader-f16 fails it here rather than letting its tests skip.
import { create, globals } from 'webgpu';

Object.assign(globalThis, globals);
const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter?.features.has('shader-f16')) {
  throw new Error(`the f16 project needs an adapter with shader-f16 (Mesa's lavapipe: run it through npm test, which sets VK_ICD_FILENAMES); found ${adapter ? `${adapter.info.description || adapter.info.vendor}, without it` : 'no adapter'}`);
}
Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
