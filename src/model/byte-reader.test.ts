// A GGUF is read by byte ranges, header first and then tensor by tensor, from a File, from memory or
// from a server that answers Range: never whole, and to the same model as reading it whole.
import { describe, expect, it } from 'vitest';
import { makeTestGguf } from '../testing/gguf-test-model.ts';
import { blobReader, bytesReader, type ByteReader } from './byte-reader.ts';
import { loadGguf } from './gguf.ts';
import { memoryFetcher } from './model-files.ts';
import { openFileReader, type ModelFileSource } from './model-source.ts';

const DIMS = { hiddenSize: 64, numHeads: 4, numKvHeads: 2, intermediateSize: 96, numLayers: 3, weightType: 'Q8_0' } as const;

/** A reader that records every range asked of it. */
function recording(inner: ByteReader): { reader: ByteReader; reads: Array<[number, number]> } {
  const reads: Array<[number, number]> = [];
  return { reads, reader: { size: inner.size, read: (start, end, signal) => { reads.push([start, end]); return inner.read(start, end, signal); } } };
}

/** A server for one file: 206 for a Range, or (rangeless) the whole file for anything. */
function serving(bytes: Uint8Array, options: { ranges: boolean; listed?: boolean }): { source: ModelFileSource; requests: Array<string | undefined> } {
  const requests: Array<string | undefined> = [];
  return {
    requests,
    source: {
      label: 'server', layout: 'gguf', ggufFile: 'm.gguf',
      ...(options.listed ? { files: new Map([['m.gguf', { size: bytes.byteLength }]]) } : {}),
      fetch: async (name, request = {}) => {
        const range = request.range;
        requests.push(range ? `${range.start}-${range.end}` : undefined);
        if (name !== 'm.gguf') return new Response(null, { status: 404 });
        if (!range || !options.ranges) return new Response(bytes.slice(), { headers: { 'content-length': String(bytes.byteLength) } });
        const end = Math.min(range.end, bytes.byteLength);
        return new Response(bytes.slice(range.start, end), { status: 206, headers: { 'content-range': `bytes ${range.start}-${end - 1}/${bytes.byteLength}` } });
      },
    },
  };
}

describe('ByteReader', () => {
  it('reads exact ranges of a Blob, and refuses ranges outside it', async () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const reader = blobReader(new Blob([bytes]), 'x.gguf');
    expect(reader.size).toBe(1000);
    expect(await reader.read(10, 20)).toEqual(bytes.slice(10, 20));
    expect(await reader.read(1000, 1000)).toEqual(new Uint8Array(0));
    await expect(reader.read(990, 1001)).rejects.toThrow(/outside the file's 1000 bytes/);
    await expect(reader.read(-1, 3)).rejects.toThrow(RangeError);
    await expect(bytesReader(bytes).read(5, 4)).rejects.toThrow(RangeError);
  });

  it('stops at an aborted signal', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(blobReader(new Blob([new Uint8Array(8)])).read(0, 4, controller.signal)).rejects.toThrow(/abort/i);
  });
});

describe('loadGguf from a ByteReader', () => {
  const { gguf } = makeTestGguf(DIMS);

  it('reads the header, then each tensor once, in file order, never the whole file; the model equals reading it whole', async () => {
    const { reader, reads } = recording(blobReader(new Blob([gguf.slice()]), 'm.gguf'));
    const progress: number[] = [];
    const ranged = await loadGguf(reader, { fileName: 'm.gguf', onProgress: (p) => { expect(p.totalBytes).toBe(gguf.byteLength); progress.push(p.loadedBytes); } });
    const whole = await loadGguf(gguf, { fileName: 'm.gguf' });

    expect(ranged.config).toEqual(whole.config);
    expect([...ranged.weights.keys()].sort()).toEqual([...whole.weights.keys()].sort());
    for (const [name, tensor] of whole.weights) expect(ranged.weights.get(name)!.bytes, name).toEqual(tensor.bytes);
    expect(ranged.weightBytes).toBe(gguf.byteLength);

    // The header comes in the GGUF library's read-ahead chunks (2 MB; this test file is smaller);
    // then one read per tensor, of exactly its bytes, in file order.
    const tensorReads = reads.slice(-whole.weights.size);
    expect(reads.slice(0, -whole.weights.size).every(([s, e]) => e - s <= 2_000_000)).toBe(true);
    expect(tensorReads.map(([s, e]) => e - s).sort((a, b) => a - b))
      .toEqual([...whole.weights.values()].map((t) => t.bytes.byteLength).sort((a, b) => a - b));
    expect(tensorReads.map(([s]) => s)).toEqual(tensorReads.map(([s]) => s).sort((a, b) => a - b));
    expect(progress.at(-1)).toBeLessThanOrEqual(gguf.byteLength);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('names the file when a File turns out shorter than its header says', async () => {
    const cut = gguf.slice(0, gguf.byteLength - 100);
    await expect(loadGguf(blobReader(new Blob([cut.slice()]), 'cut.gguf'), { fileName: 'cut.gguf' })).rejects.toThrow(/^cut\.gguf: truncated: tensor \S+ ends at byte/);
  });

  it('stops between tensors when the load is cancelled', async () => {
    const controller = new AbortController();
    const inner = bytesReader(gguf);
    let reads = 0;
    const reader: ByteReader = { size: inner.size, read: (s, e, signal) => { if (++reads === 4) controller.abort(); return inner.read(s, e, signal); } };
    await expect(loadGguf(reader, { fileName: 'm.gguf', signal: controller.signal })).rejects.toThrow(/abort/i);
    expect(reads).toBeLessThan(8);
  });
});

describe('openFileReader', () => {
  const { gguf } = makeTestGguf(DIMS);

  it('takes the size from the listing, or from the first Range answer, and reads by range', async () => {
    for (const listed of [true, false]) {
      const { source, requests } = serving(gguf, { ranges: true, listed });
      const reader = await openFileReader(source, 'm.gguf');
      expect(reader.size).toBe(gguf.byteLength);
      expect(await reader.read(100, 200)).toEqual(gguf.slice(100, 200));
      expect(requests.every((r) => r !== undefined)).toBe(true);
      const model = await loadGguf(reader, { fileName: 'm.gguf' });
      expect(model.weights.size).toBeGreaterThan(0);
      expect(requests.every((r) => r !== undefined)).toBe(true);
    }
  });

  it('downloads the file once, whole, from a server that ignores Range', async () => {
    const { source, requests } = serving(gguf, { ranges: false });
    const seen: number[] = [];
    const reader = await openFileReader(source, 'm.gguf', { onProgress: (p) => seen.push(p.loadedBytes) });
    expect(reader.size).toBe(gguf.byteLength);
    expect(seen.at(-1)).toBe(gguf.byteLength);
    expect(await reader.read(0, 4)).toEqual(new TextEncoder().encode('GGUF'));
    expect(requests).toEqual(['0-1', undefined]);
  });

  it('says when the file is missing, and when the server fails', async () => {
    const { source } = serving(gguf, { ranges: true });
    await expect(openFileReader(source, 'other.gguf')).rejects.toThrow('server: other.gguf not found');
    const failing: ModelFileSource = { ...source, fetch: async () => new Response(null, { status: 503, statusText: 'Service Unavailable' }) };
    await expect(openFileReader(failing, 'm.gguf')).rejects.toThrow('server: m.gguf: HTTP 503 Service Unavailable');
  });

  it('a listed size longer than the file is a clear error, not zeros', async () => {
    const { source } = serving(gguf, { ranges: true });
    const lying: ModelFileSource = { ...source, files: new Map([['m.gguf', { size: gguf.byteLength + 64 }]]) };
    const reader = await openFileReader(lying, 'm.gguf');
    await expect(reader.read(gguf.byteLength, gguf.byteLength + 64)).rejects.toThrow(/shorter than its listed/);
  });

  it('a whole-file fetcher still loads (the shipped model and the CLI serve whole files)', async () => {
    const model = await loadGguf(memoryFetcher({ 'm.gguf': gguf }), { fileName: 'm.gguf' });
    expect(model.weights.size).toBeGreaterThan(0);
  });
});
