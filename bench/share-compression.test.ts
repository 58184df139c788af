// Which compressor gives shorter playground links on real code: fflate (raw deflate, level 9,
// base64url) or lz-string (compressToEncodedURIComponent)? Both see the exact JSON payload a link
// carries. Also measures how much real code fits in one link (MAX_HASH_CHARS).
// Run: npx vitest run --project unit bench/share-compression.test.ts  (table printed and written
// to bench/out/share-compression.md). The assertion keeps the choice in link-codec.ts honest.

import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { deflateSync } from 'fflate';
import LZString from 'lz-string';
import { describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS } from '../src/settings.ts';
import { encodeBase64Url } from '../src/share/base64url.ts';
import { MAX_HASH_CHARS, encodeShareHash } from '../src/share/link-codec.ts';
import type { ShareState } from '../src/share/share-state.ts';

const require = createRequire(import.meta.url);
const source = (spec: string) => readFileSync(require.resolve(spec), 'utf8');

/** Real code of different kinds: TypeScript declarations, minified-free JS, and our own TS. */
const CORPUS: Array<[string, string]> = [
  ['typescript/lib/lib.es5.d.ts', source('typescript/lib/lib.es5.d.ts')],
  ['monaco-editor/esm/vs/base/common/strings.js', readFileSync('node_modules/monaco-editor/esm/vs/base/common/strings.js', 'utf8')],
  ['monaco-editor/esm/vs/editor/common/model/textModel.js', readFileSync('node_modules/monaco-editor/esm/vs/editor/common/model/textModel.js', 'utf8')],
  ['fflate/esm/browser.js', readFileSync('node_modules/fflate/esm/browser.js', 'utf8')],
  ['spark src/share/link-codec.ts', readFileSync('src/share/link-codec.ts', 'utf8')],
];
const SIZES = [500, 2_000, 8_000, 32_000, 128_000];

const payload = (text: string): string => JSON.stringify({
  text, language: 'typescript', selections: [[1, 1, 1, 1]], settings: DEFAULT_SETTINGS,
});
const fflateChars = (json: string) => 4 + encodeBase64Url(deflateSync(new TextEncoder().encode(json), { level: 9 })).length;
const lzChars = (json: string) => 4 + LZString.compressToEncodedURIComponent(json).length;

const stateOf = (text: string): ShareState => ({
  text, language: 'typescript', selections: [{ anchorLine: 1, anchorColumn: 1, activeLine: 1, activeColumn: 1 }],
  settings: { ...DEFAULT_SETTINGS },
});

/** Largest prefix of `text` (in UTF-16 chars) whose link fits, by bisection. */
function largestFittingPrefix(text: string): number {
  let lo = 0;
  let hi = text.length;
  while (hi - lo > 200) { // ±200 chars is precision enough, and keeps the bench quick
    const mid = Math.ceil((lo + hi) / 2);
    if (encodeShareHash(stateOf(text.slice(0, mid))).ok) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Distinct real code, several files concatenated (no repeats, which deflate would exploit). */
function concatenated(dir: string, limit: number): string {
  const parts: string[] = [];
  let total = 0;
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.js')).sort()) {
    if (total >= limit) break;
    const text = readFileSync(`${dir}/${name}`, 'utf8');
    parts.push(text);
    total += text.length;
  }
  return parts.join('\n').slice(0, limit);
}

describe('share-link compression on real code', () => {
  it('fflate deflate-raw gives shorter links than lz-string', () => {
    const rows: string[] = ['| source | document chars | fflate link chars | lz-string link chars | lz / fflate |', '|---|---:|---:|---:|---:|'];
    let fflateTotal = 0;
    let lzTotal = 0;
    for (const [name, text] of CORPUS) {
      for (const size of SIZES) {
        if (size > text.length) continue;
        const json = payload(text.slice(0, size));
        const f = fflateChars(json);
        const l = lzChars(json);
        fflateTotal += f;
        lzTotal += l;
        rows.push(`| ${name} | ${size} | ${f} | ${l} | ${(l / f).toFixed(2)} |`);
      }
    }
    rows.push(`| **total** | | **${fflateTotal}** | **${lzTotal}** | **${(lzTotal / fflateTotal).toFixed(2)}** |`);

    const fits: string[] = ['', `Largest document that fits one link (${MAX_HASH_CHARS} hash chars):`, ''];
    const long: Array<[string, string]> = [
      ['typescript/lib/lib.es5.d.ts', CORPUS[0]![1]],
      ['typescript/lib/lib.dom.d.ts', source('typescript/lib/lib.dom.d.ts').slice(0, 600_000)],
      ['monaco-editor/esm/vs/editor/common/model/*.js, concatenated', concatenated('node_modules/monaco-editor/esm/vs/editor/common/model', 600_000)],
      ['monaco-editor/esm/vs/base/common/*.js, concatenated', concatenated('node_modules/monaco-editor/esm/vs/base/common', 600_000)],
    ];
    for (const [name, text] of long) {
      fits.push(`- ${name}: ${largestFittingPrefix(text).toLocaleString('en-US')} chars`);
    }
    let seed = 7;
    const noise = Array.from({ length: 80_000 }, () => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return String.fromCharCode(33 + ((seed >>> 16) % 94));
    }).join('');
    fits.push(`- incompressible printable ASCII (worst case): ${largestFittingPrefix(noise).toLocaleString('en-US')} chars`);

    const report = [...rows, ...fits].join('\n');
    console.log(report);
    mkdirSync('bench/out', { recursive: true });
    writeFileSync('bench/out/share-compression.md', `${report}\n`);
    expect(fflateTotal).toBeLessThan(lzTotal);
  }, 120_000);
});
