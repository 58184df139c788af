// In the browser project for its real DOM (MutationObserver, animation frames); no GPU involved.
import { afterEach, describe, expect, it } from 'vitest';
import { GhostRenderWatch } from './ghost-render-watch.ts';
import { until } from '../../testing/poll.ts';

describe('GhostRenderWatch: the frame a ghost appears in, as the outside probe sees it', () => {
  const node = document.createElement('div');
  document.body.append(node);
  const show = (text: string) => { node.innerHTML = text ? `<span class="ghost-text">${text}</span>` : ''; };
  let watch: GhostRenderWatch | undefined;
  afterEach(() => { watch?.dispose(); show(''); });

  it('answers with the first new non-empty ghost after a time, at once when it was already drawn', async () => {
    watch = new GhostRenderWatch({ node, now: () => performance.now(), watching: () => true });
    const key = performance.now();
    watch.key(key);
    const got: number[] = [];
    watch.whenRendered(key, (at) => got.push(at));
    show('');
    show('return a + b');
    await until(() => got.length === 1, 'the ghost render');
    expect(got[0]).toBeGreaterThanOrEqual(key);
    expect(watch.lastKeyBefore(got[0]!)).toBe(key);
    // Drawn before the trace finished: answered from what was seen.
    const late: number[] = [];
    watch.whenRendered(key, (at) => late.push(at));
    expect(late).toEqual(got);
  });

  it('dates a ghost changed in an animation frame by that frame (it is painted then), one changed elsewhere by the next frame', async () => {
    watch = new GhostRenderWatch({ node, now: () => performance.now(), watching: () => true });
    watch.key(performance.now());
    await new Promise((r) => requestAnimationFrame(r)); // the watch now knows the frames' rendering steps
    const inFrame: number[] = [];
    const changed = await new Promise<{ before: number; after: number }>((resolve) => requestAnimationFrame(() => {
      const before = performance.now();
      watch!.whenRendered(before, (at) => inFrame.push(at));
      show('drawn in a frame');
      queueMicrotask(() => resolve({ before, after: performance.now() })); // after the observer's microtask
    }));
    expect(inFrame).toHaveLength(1);
    expect(inFrame[0]).toBeGreaterThanOrEqual(changed.before);
    expect(inFrame[0]).toBeLessThanOrEqual(changed.after);

    // Outside the rendering step: in a message posted from a frame after the watch's own, which it
    // gets after the watch has seen that frame end (posted messages keep their order).
    const outside: number[] = [];
    const at = await new Promise<number>((resolve) => requestAnimationFrame(() => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        const t = performance.now();
        watch!.whenRendered(t, (r) => outside.push(r));
        show('drawn in a task');
        resolve(t);
      };
      channel.port2.postMessage(0);
    }));
    let nextFrame = 0;
    requestAnimationFrame(() => { nextFrame = performance.now(); });
    await until(() => outside.length === 1 && nextFrame > 0, 'the next frame');
    expect(outside[0]).toBeGreaterThan(at);
    expect(Math.abs(outside[0]! - nextFrame)).toBeLessThan(8);
  });

  it('ignores an empty ghost and the same text again; gives up after the timeout', async () => {
    watch = new GhostRenderWatch({ node, now: () => performance.now(), watching: () => true, timeoutMs: 300 });
    show('x');
    watch.key(performance.now()); // 'x' is the baseline: not new
    const got: number[] = [];
    watch.whenRendered(0, (at) => got.push(at));
    show('');
    show('');
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    expect(got).toEqual([]);
    await until(() => watch!.pending === 0, 'the wait to be given up');
    show('y');
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    expect(got).toEqual([]); // the wait was given up before 'y'
  });

  it('observes nothing while nobody watches', async () => {
    watch = new GhostRenderWatch({ node, now: () => performance.now(), watching: () => false });
    watch.key(performance.now());
    const got: number[] = [];
    watch.whenRendered(0, (at) => got.push(at));
    show('z');
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    expect(got).toEqual([]);
    expect(watch.lastKeyBefore(Infinity)).toBeUndefined();
  });
});
