// The n-gram baseline: a token 4-gram of the training split, greedy, with backoff. For each context
// of 3, 2 and 1 tokens seen often enough it keeps only the most frequent next token, which is all
// greedy decoding needs, so the table is small enough to ship with the repo.
//
//   npm run replay -- --make-ngram training/data/corpus/train.jsonl   (writes NGRAM_FILE)
//
// Counting sorts typed arrays of packed (context, next) keys instead of filling a Map: 17 M
// tokens would need tens of millions of Map entries.

import { gunzipSync, gzipSync } from 'fflate';

/** Context lengths, longest first: backoff tries them in this order. */
export const NGRAM_ORDERS = [3, 2, 1] as const;
const MAGIC = 'spark-ngram-1';

export interface NgramTable {
  vocabSize: number;
  /** Per context length: packed context → the most frequent next token. */
  best: Map<number, Map<number, number>>;
}

/** A context of n token ids packed into one number (ids < vocabSize, n ≤ 3: < 2^53 for vocabSize ≤ 2^17). */
function packContext(ids: ArrayLike<number>, end: number, n: number, vocabSize: number): number {
  let key = 0;
  for (let i = end - n; i < end; i++) key = key * vocabSize + ids[i]!;
  return key;
}

/**
 * Counts every (context, next) pair of each order over the documents' tokens (a document's tokens
 * never continue into the next one's) and keeps, per context seen at least minCount times, its
 * most frequent next token.
 */
export function buildNgram(docs: readonly Uint32Array[], vocabSize: number, minCount: number): NgramTable {
  if (vocabSize ** 4 > Number.MAX_SAFE_INTEGER) throw new Error(`n-gram: a vocabulary of ${vocabSize} is too large to pack`);
  const best = new Map<number, Map<number, number>>();
  for (const n of NGRAM_ORDERS) {
    let total = 0;
    for (const d of docs) total += Math.max(0, d.length - n);
    const keys = new Float64Array(total);
    let k = 0;
    for (const d of docs) for (let end = n; end < d.length; end++) keys[k++] = packContext(d, end, n, vocabSize) * vocabSize + d[end]!;
    keys.sort();
    const table = new Map<number, number>();
    let i = 0;
    while (i < keys.length) {
      const ctx = Math.floor(keys[i]! / vocabSize);
      let ctxCount = 0, bestNext = -1, bestCount = 0;
      while (i < keys.length && Math.floor(keys[i]! / vocabSize) === ctx) {
        const key = keys[i]!;
        let run = 0;
        while (i < keys.length && keys[i] === key) { run++; i++; }
        ctxCount += run;
        if (run > bestCount) { bestCount = run; bestNext = key - ctx * vocabSize; }
      }
      if (ctxCount >= minCount) table.set(ctx, bestNext);
    }
    best.set(n, table);
  }
  // A context whose next token is what backing off would give anyway changes no prediction: drop
  // it. Longest first, so each order is pruned against the lower orders' unchanged backoff.
  const result = { vocabSize, best };
  for (const n of NGRAM_ORDERS) {
    const table = best.get(n)!;
    const ids = new Array<number>(n);
    for (const [ctx, next] of table) {
      let rest = ctx;
      for (let i = n - 1; i >= 0; i--) { ids[i] = rest % vocabSize; rest = Math.floor(rest / vocabSize); }
      if (backoffNext(result, ids, n) === next) table.delete(ctx);
    }
  }
  return result;
}

/** What the orders below `below` predict after ids (undefined: none knows the context). */
function backoffNext(table: NgramTable, ids: readonly number[], below: number): number | undefined {
  for (const n of NGRAM_ORDERS) {
    if (n >= below || ids.length < n) continue;
    const next = table.best.get(n)?.get(packContext(ids, ids.length, n, table.vocabSize));
    if (next !== undefined) return next;
  }
  return undefined;
}

/** The next token after ids under the table: the longest known context decides; undefined when none is known. */
export function ngramNext(table: NgramTable, ids: readonly number[]): number | undefined {
  return backoffNext(table, ids, Infinity);
}

/**
 * gzip of: a JSON header line, then per order its contexts, ascending, as LEB128 deltas from the
 * one before, then every order's next tokens as u16 (little-endian).
 */
export function serializeNgram(table: NgramTable, provenance: Record<string, unknown>): Uint8Array {
  if (table.vocabSize > 0x10000) throw new Error('n-gram: next tokens are stored as u16');
  const orders = NGRAM_ORDERS.map((n) => ({ n, entries: table.best.get(n)?.size ?? 0 }));
  const bytes: number[] = [...new TextEncoder().encode(`${JSON.stringify({ magic: MAGIC, vocabSize: table.vocabSize, orders, provenance })}\n`)];
  const nexts: number[] = [];
  for (const { n } of orders) {
    let previous = 0;
    for (const [c, t] of [...(table.best.get(n) ?? [])].sort((x, y) => x[0] - y[0])) {
      for (let d = c - previous; ; d = Math.floor(d / 128)) {
        if (d < 128) { bytes.push(d); break; }
        bytes.push(128 + (d % 128));
      }
      previous = c;
      nexts.push(t & 0xff, t >> 8);
    }
  }
  return gzipSync(Uint8Array.from([...bytes, ...nexts]), { level: 9 });
}

export function parseNgram(gz: Uint8Array): NgramTable & { provenance: Record<string, unknown> } {
  const bytes = gunzipSync(gz);
  const nl = bytes.indexOf(10);
  const header = nl > 0 ? JSON.parse(new TextDecoder().decode(bytes.subarray(0, nl))) as {
    magic: string; vocabSize: number; orders: { n: number; entries: number }[]; provenance: Record<string, unknown>;
  } : undefined;
  if (header?.magic !== MAGIC) throw new Error('not a spark n-gram table (bad header)');
  const total = header.orders.reduce((s, o) => s + o.entries, 0);
  let at = nl + 1;
  const contexts: number[] = [];
  for (const { entries } of header.orders) {
    let c = 0;
    for (let e = 0; e < entries; e++) {
      let d = 0;
      for (let scale = 1; ; scale *= 128) {
        if (at >= bytes.length) throw new Error('spark n-gram table: truncated');
        const b = bytes[at++]!;
        d += (b & 127) * scale;
        if (b < 128) break;
      }
      c += d;
      contexts.push(c);
    }
  }
  if (bytes.length - at !== total * 2) throw new Error('spark n-gram table: its size does not match its header');
  const best = new Map<number, Map<number, number>>();
  let i = 0;
  for (const { n, entries } of header.orders) {
    const table = new Map<number, number>();
    for (let e = 0; e < entries; e++, i++) table.set(contexts[i]!, bytes[at + 2 * i]! | (bytes[at + 2 * i + 1]! << 8));
    best.set(n, table);
  }
  return { vocabSize: header.vocabSize, best, provenance: header.provenance };
}
