import { describe, expect, it, vi } from 'vitest';
import { PerfHub } from './perf-hub.ts';

describe('PerfHub', () => {
  it('costs nothing until watched, and says when watching starts and stops', () => {
    const changes = vi.fn();
    const hub = new PerfHub();
    hub.onDidChangeWatched(changes);
    expect(hub.emitter()).toBeUndefined();
    const seen: string[] = [];
    const a = hub.watch((e) => seen.push(`a:${e.type}`));
    const b = hub.watch((e) => seen.push(`b:${e.type}`));
    hub.emitter()!({ type: 'suggestion-shown' });
    a.dispose();
    hub.emitter()!({ type: 'suggestion-shown' });
    b.dispose();
    expect(hub.emitter()).toBeUndefined();
    expect(seen).toEqual(['a:suggestion-shown', 'b:suggestion-shown', 'b:suggestion-shown']);
    expect(changes.mock.calls).toEqual([[true], [false]]);
  });
});
