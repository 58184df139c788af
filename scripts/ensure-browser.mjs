#!/usr/bin/env node
// Makes sure a Chromium for the GPU, e2e, demo and bench runs exists, and says what it does.
// Order: $CHROMIUM_PATH, /usr/bin/chromium, Playwright's own download. When none is found:
// Debian's chromium through apt-get when root on Debian, otherwise `npx playwright install chromium`.
import { existsSync, readFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function playwrightChromium() {
  try {
    const { chromium } = require('playwright-core');
    const path = chromium.executablePath();
    return path && existsSync(path) ? path : undefined;
  } catch {
    return undefined;
  }
}

// Everything it says goes to stderr: `npm run latency` and `npm run generate` print their results on stdout.
const say = (line) => console.error(line);
const run = (cmd) => {
  say(`[ensure-browser] $ ${cmd}`);
  execSync(cmd, { stdio: ['ignore', 2, 2] });
};

export function ensureBrowser() {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`[ensure-browser] CHROMIUM_PATH=${fromEnv} does not exist`);
    say(`[ensure-browser] using $CHROMIUM_PATH=${fromEnv}`);
    return fromEnv;
  }
  if (existsSync('/usr/bin/chromium')) {
    say('[ensure-browser] using /usr/bin/chromium');
    return '/usr/bin/chromium';
  }
  const own = playwrightChromium();
  if (own) {
    say(`[ensure-browser] using Playwright's chromium at ${own}`);
    return own;
  }
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const isDebian = existsSync('/etc/debian_version') ||
    (existsSync('/etc/os-release') && /ID(_LIKE)?=.*debian/.test(readFileSync('/etc/os-release', 'utf8')));
  if (isRoot && isDebian) {
    say('[ensure-browser] no Chromium found; installing Debian\'s chromium with apt-get');
    run('apt-get update -qq');
    run('DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium');
    return '/usr/bin/chromium';
  }
  say('[ensure-browser] no Chromium found; downloading Playwright\'s chromium');
  run('npx playwright install chromium');
  const downloaded = playwrightChromium();
  if (!downloaded) throw new Error('[ensure-browser] Playwright download finished but no chromium was found');
  return downloaded;
}

if (import.meta.url === `file://${process.argv[1]}`) ensureBrowser();
