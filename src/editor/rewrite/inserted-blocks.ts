// The blocks of inserted lines a rewrite proposes (proposal-marks.ts), drawn as Monaco view zones.
// A streaming proposal updates ~10 times a second and its blocks mostly just grow, so a block
// whose anchor line is unchanged keeps its zone: its text is rewritten and the zone re-laid out
// only when its height changed. Removing and re-adding every zone made Monaco lay out and render
// the whole viewport on each update.
// A block holds only the lines on screen, and a screenful either side (like Monaco's own view
// lines): the zone keeps the block's full height, and its text is re-cut when a scroll or a render
// reaches past what it holds. Holding all of a 175-line block, each update's paint and layout grew
// with the block, to 135 ms of CPU in one frame (e2e/responsive.spec.ts, profiled).

import type * as Monaco from 'monaco-editor';
import type { Disposable } from '../../util/disposable.ts';

export interface InsertedBlock {
  /** The editor line the block is drawn after (0: above the first line). */
  afterLine: number;
  lines: readonly string[];
}

/** Lines [from, to) of a block. */
export interface LineSlice { from: number; to: number }

/**
 * The lines a block should hold: those within the viewport and a viewport's worth either side,
 * or `held` itself when that still covers what is on screen (no re-cut while scrolling within it).
 * `top` is the block's top relative to the viewport's, in pixels (negative: scrolled above it).
 */
export function linesToHold(top: number, lineCount: number, lineHeight: number, viewportHeight: number, held?: LineSlice): LineSlice {
  const margin = Math.ceil(viewportHeight / lineHeight);
  const clamp = (line: number) => Math.min(lineCount, Math.max(0, line));
  const from = clamp(Math.floor(-top / lineHeight));
  const to = clamp(Math.ceil((viewportHeight - top) / lineHeight));
  const usable = held !== undefined && held.to <= lineCount;
  if (from >= to) return usable ? held : { from: 0, to: Math.min(lineCount, margin) }; // off screen (Monaco hides it)
  if (usable && held.from <= from && to <= held.to) return held;
  return { from: Math.max(0, from - margin), to: Math.min(lineCount, to + margin) };
}

interface Zone {
  id: string;
  zone: Monaco.editor.IViewZone;
  lines: readonly string[];
  /** Where the block was last seen (viewport-relative px); undefined until Monaco first places it. */
  top: number | undefined;
  held: LineSlice | undefined;
}

export class InsertedBlocks implements Disposable {
  private zones: Zone[] = [];

  constructor(private readonly monaco: typeof Monaco, private readonly editor: Monaco.editor.IStandaloneCodeEditor) {}

  set(blocks: readonly InsertedBlock[]): void {
    if (this.zones.length === 0 && blocks.length === 0) return;
    this.editor.changeViewZones((accessor) => {
      // Two blocks can share an anchor line (one below line L, one above line L + 1).
      const kept = new Map<number, Zone[]>();
      for (const z of this.zones) kept.set(z.zone.afterLineNumber, [...(kept.get(z.zone.afterLineNumber) ?? []), z]);
      const next: Zone[] = [];
      for (const b of blocks) {
        const zone = kept.get(b.afterLine)?.shift();
        if (zone) {
          if (!sameLines(zone.lines, b.lines)) {
            zone.lines = b.lines;
            zone.held = undefined;
            this.fill(zone);
            if (zone.zone.heightInLines !== b.lines.length) {
              zone.zone.heightInLines = b.lines.length;
              accessor.layoutZone(zone.id);
            }
          }
          next.push(zone);
        } else {
          const created: Zone = { id: '', zone: { afterLineNumber: b.afterLine, heightInLines: b.lines.length, domNode: this.blockNode() }, lines: b.lines, top: undefined, held: undefined };
          created.zone.onDomNodeTop = (top) => {
            created.top = top;
            this.fill(created);
          };
          this.fill(created);
          created.id = accessor.addZone(created.zone);
          next.push(created);
        }
      }
      for (const z of [...kept.values()].flat()) accessor.removeZone(z.id);
      this.zones = next;
    });
  }

  /** Puts the lines the zone should hold into its node, if they are not already there. */
  private fill(zone: Zone): void {
    const lineHeight = this.lineHeight();
    const viewport = this.editor.getLayoutInfo().height;
    // A block not yet placed is assumed at the viewport's top; Monaco places it on its next render.
    const slice = linesToHold(zone.top ?? 0, zone.lines.length, lineHeight, viewport, zone.held);
    if (slice === zone.held) return;
    zone.held = slice;
    const node = zone.zone.domNode;
    node.style.paddingTop = `${slice.from * lineHeight}px`;
    node.textContent = zone.lines.slice(slice.from, slice.to).join('\n');
  }

  private lineHeight(): number {
    return this.editor.getOption(this.monaco.editor.EditorOption.lineHeight);
  }

  private blockNode(): HTMLElement {
    const font = this.editor.getOption(this.monaco.editor.EditorOption.fontInfo);
    const node = document.createElement('div');
    node.className = 'spark-edit-inserted-block';
    Object.assign(node.style, { fontFamily: font.fontFamily, fontSize: `${font.fontSize}px`, lineHeight: `${font.lineHeight}px`, fontWeight: font.fontWeight });
    return node;
  }

  dispose(): void {
    this.set([]);
  }
}

function sameLines(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((line, i) => line === b[i]);
}
