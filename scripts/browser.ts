// Where the test, demo and bench scripts find Chromium, and the flags that give it WebGPU.
// Order (see README): $CHROMIUM_PATH, then /usr/bin/chromium, then Playwright's own download.
import { existsSync } from 'node:fs';

/** Flags measured to give real WebGPU (SwiftShader) in headless Chromium on a GPU-less Linux box. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--enable-unsafe-webgpu',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** The Chromium executable to launch, or undefined to let Playwright use its own download. */
export function chromiumExecutable(): string | undefined {
  const fromEnv = process.env['CHROMIUM_PATH'];
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHROMIUM_PATH=${fromEnv} does not exist`);
    return fromEnv;
  }
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  return undefined;
}

/** Extra flags from $SPARK_CHROMIUM_ARGS (space-separated): scripts/gpu-bench.mjs puts a real GPU's Vulkan flags there. */
export const extraChromiumArgs = (): string[] => (process.env['SPARK_CHROMIUM_ARGS'] ?? '').split(/\s+/).filter((a) => a !== '');

export const launchOptions = () => ({
  executablePath: chromiumExecutable(),
  args: [...CHROMIUM_ARGS, ...extraChromiumArgs()],
});
