import { describe, expect, it } from 'vitest';
import { MAX_RECENT_MODELS, RecentModels, recentKey, usedAgo } from './recent-models.ts';

function memoryStorage(initial?: string) {
  const map = new Map<string, string>(initial === undefined ? [] : [['spark.models.recent.v1', initial]]);
  return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => { map.set(k, v); }, map };
}

describe('RecentModels', () => {
  it('lists the models used, newest first, once each, capped', () => {
    let t = 1000;
    const recents = new RecentModels(memoryStorage(), () => t++);
    recents.add({ kind: 'remote', source: 'org/a@' + '1'.repeat(40), name: 'org/a', bytes: 5 });
    recents.add({ kind: 'file', name: 'local.gguf', bytes: 7 });
    recents.add({ kind: 'remote', source: 'org/a@' + '1'.repeat(40), name: 'org/a', bytes: 5 });
    expect(recents.list().map((m) => m.name)).toEqual(['org/a', 'local.gguf']);
    for (let i = 0; i < MAX_RECENT_MODELS + 3; i++) recents.add({ kind: 'remote', source: `https://h.example/m${i}.gguf`, name: `m${i}` });
    const list = recents.list();
    expect(list).toHaveLength(MAX_RECENT_MODELS);
    expect(list[0]!.name).toBe(`m${MAX_RECENT_MODELS + 2}`);
    expect(list.every((m, i) => i === 0 || list[i - 1]!.usedAt >= m.usedAt)).toBe(true);
  });

  it('remove(×) drops one entry', () => {
    const recents = new RecentModels(memoryStorage());
    recents.add({ kind: 'file', name: 'a.gguf' });
    recents.add({ kind: 'file', name: 'b.gguf' });
    const [b] = recents.list();
    expect(recents.remove(recentKey(b!)).map((m) => m.name)).toEqual(['a.gguf']);
    expect(recents.list().map((m) => m.name)).toEqual(['a.gguf']);
  });

  it.each([
    ['not JSON', '{oops'],
    ['not a list', '{"kind":"file"}'],
    ['a huge number', '1e999'],
  ])('storage holding %s reads as an empty list', (_what, raw) => {
    expect(new RecentModels(memoryStorage(raw)).list()).toEqual([]);
  });

  it('a corrupted entry is dropped; the valid ones stay', () => {
    const good = { kind: 'file', name: 'ok.gguf', bytes: 3, usedAt: 5 };
    const raw = JSON.stringify([
      null, 7, 'x', [], { kind: 'remote', source: 42, name: 'x', usedAt: 1 }, { kind: 'file', name: '', usedAt: 1 },
      { kind: 'file', name: 'neg.gguf', bytes: -1, usedAt: 1 }, { kind: 'file', name: 'nan.gguf', usedAt: 'soon' },
      { kind: 'remote', source: 'x'.repeat(5000), name: 'long', usedAt: 1 }, { kind: 'folder', name: 'spark-nano', usedAt: 1 },
      { __proto__: { kind: 'file' }, name: 'inherited.gguf', usedAt: 1 }, good,
    ]);
    expect(new RecentModels(memoryStorage(raw)).list()).toEqual([good]);
  });

  it('storage that throws leaves the list empty and the add harmless', () => {
    const broken = { getItem: () => { throw new Error('SecurityError'); }, setItem: () => { throw new Error('QuotaExceededError'); } };
    const recents = new RecentModels(broken);
    expect(recents.list()).toEqual([]);
    expect(recents.add({ kind: 'file', name: 'a.gguf' })).toHaveLength(1);
  });

  it('says when a model was last used', () => {
    expect(usedAgo(0, 20_000)).toBe('just now');
    expect(usedAgo(0, 5 * 60_000)).toBe('5 min ago');
    expect(usedAgo(0, 3 * 3_600_000)).toBe('3 h ago');
    expect(usedAgo(0, 3 * 86_400_000)).toBe('3 days ago');
  });
});
