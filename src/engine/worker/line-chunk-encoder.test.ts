import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelTokenizer } from '../../model/tokenizer.ts';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../../testing/arbitraries.ts';
import { CHECK_EVERY, LineChunkEncoder, lineChunks } from './line-chunk-encoder.ts';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
const sparkNano = ModelTokenizer.fromJson(JSON.parse(read('public/models/spark-nano/tokenizer.json')), JSON.parse(read('public/models/spark-nano/tokenizer_config.json')));
const HELD_OUT = ['bench/replay/heldout/zod/src/v4/core/core.ts', 'bench/replay/heldout/python3-click/click/formatting.py'];

// Code-like text: indentation, blank and whitespace-only lines, CRLF, tabs, Unicode spaces and letters.
const codeText = fc.array(fc.constantFrom('\n', '\r\n', '\n\n', '    ', '\t', ' ', '  \n', 'def', 'x', '_1', '42', '()', '{', '};', '"s"', '#', '//', '\u00a0', 'é', '名前', '😀', '<fim_prefix>'), { maxLength: 400 })
  .map((parts) => parts.join(''));

describe('lineChunks', () => {
  it('cuts only after a newline followed by a line with text on it, into chunks of at least the minimum', () => {
    fc.assert(fc.property(codeText, fc.integer({ min: 1, max: 64 }), (text, min) => {
      const chunks = lineChunks(text, min);
      expect(chunks.join('')).toBe(text);
      for (const [i, chunk] of chunks.slice(0, -1).entries()) {
        expect(chunk.length).toBeGreaterThanOrEqual(min);
        expect(chunk.endsWith('\n')).toBe(true);
        expect(chunks[i + 1]!.split(/[\r\n]/)[0]).toMatch(/\S/);
      }
    }), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  it('keeps a text with no such newline whole', () => {
    expect(lineChunks('x'.repeat(1000))).toEqual(['x'.repeat(1000)]);
    expect(lineChunks(`${'a'.repeat(300)}\n\n   \n`)).toEqual([`${'a'.repeat(300)}\n\n   \n`]);
    expect(lineChunks(`${'a'.repeat(300)}\n  b\nc`, 256)).toEqual([`${'a'.repeat(300)}\n`, '  b\nc']);
  });
});

describe('LineChunkEncoder', () => {
  it('gives spark-nano\'s own tokens for every prefix and suffix of held-out files, and stays chunked', () => {
    const encoder = new LineChunkEncoder((t) => sparkNano.encode(t));
    for (const path of HELD_OUT) {
      const text = read(path);
      for (let at = 0; at <= text.length; at += 97) {
        for (const part of [text.slice(0, at), text.slice(at)]) expect(encoder.encode(part)).toEqual(sparkNano.encode(part));
      }
    }
    expect(encoder.chunking).toBe(true);
  });

  it('gives spark-nano\'s own tokens for code-like text of any shape', () => {
    const encoder = new LineChunkEncoder((t) => sparkNano.encode(t));
    fc.assert(fc.property(codeText, (text) => {
      const long = text.repeat(1 + Math.floor(600 / (text.length + 1))); // long enough to be cut
      expect(encoder.encode(long)).toEqual(sparkNano.encode(long));
    }), FUZZ);
    expect(encoder.chunking).toBe(true);
  }, FUZZ_TIMEOUT_MS);

  it('encodes only the chunk that changed when the text grows at its end', () => {
    const calls: string[] = [];
    const encoder = new LineChunkEncoder((t) => { calls.push(t); return sparkNano.encode(t); });
    const text = read(HELD_OUT[1]!).slice(0, 5000);
    encoder.encode(text); // every chunk, then the whole text once (the first check)
    calls.length = 0;
    const typed = `${text}x`;
    expect(encoder.encode(typed)).toEqual(sparkNano.encode(typed));
    expect(calls).toEqual([lineChunks(typed).at(-1)]);
  });

  it('turns itself off for good when a check finds that the chunks tokenize differently', () => {
    // A tokenizer that marks the start of every text it encodes (as add_prefix_space would).
    let calls = 0;
    const marked = (t: string) => { calls++; return [0, ...[...t].map((c) => c.charCodeAt(0))]; };
    const encoder = new LineChunkEncoder(marked);
    const text = `${'a'.repeat(300)}\nb\n${'c'.repeat(300)}\nd`;
    expect(encoder.encode(text)).toEqual(marked(text));
    expect(encoder.chunking).toBe(false);
    calls = 0;
    const got = encoder.encode(`${text}e`);
    expect(calls).toBe(1); // the whole text, no chunks
    expect(got).toEqual(marked(`${text}e`));
  });

  it('checks again every CHECK_EVERY texts, so a difference that shows up later is caught', () => {
    let differ = false;
    const fickle = (t: string) => [...(differ && t.startsWith('b') ? [0] : []), ...[...t].map((c) => c.charCodeAt(0))];
    const encoder = new LineChunkEncoder(fickle);
    const text = (i: number) => `${'a'.repeat(300)}\nb${i}`;
    encoder.encode(text(0)); // the first check passes
    differ = true;
    for (let i = 1; i < CHECK_EVERY; i++) encoder.encode(text(i));
    expect(encoder.chunking).toBe(true); // not looked at yet
    expect(encoder.encode(text(CHECK_EVERY))).toEqual(fickle(text(CHECK_EVERY)));
    expect(encoder.chunking).toBe(false);
  });
});
