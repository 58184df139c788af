// The blocks of inserted lines a rewrite proposes (proposal-marks.ts), drawn as Monaco view zones.
// A streaming proposal updates ~10 times a second and its blocks mostly just grow, so a block
// whose anchor line is unchanged keeps its zone: its text is rewritten and the zone re-laid out
// only when its height changed. Removing and re-adding every zone made Monaco lay out and render
// the whole viewport on each update.

import type * as Monaco from 'monaco-editor';
import type { Disposable } from '../../util/disposable.ts';

export interface InsertedBlock {
  /** The editor line the block is drawn after (0: above the first line). */
  afterLine: number;
  lines: readonly string[];
}

interface Zone { id: string; zone: Monaco.editor.IViewZone; text: string }

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
        const text = b.lines.join('\n');
        const zone = kept.get(b.afterLine)?.shift();
        if (zone) {
          if (zone.text !== text) {
            zone.text = zone.zone.domNode.textContent = text;
            if (zone.zone.heightInLines !== b.lines.length) {
              zone.zone.heightInLines = b.lines.length;
              accessor.layoutZone(zone.id);
            }
          }
          next.push(zone);
        } else {
          const created: Monaco.editor.IViewZone = { afterLineNumber: b.afterLine, heightInLines: b.lines.length, domNode: this.blockNode(text) };
          next.push({ id: accessor.addZone(created), zone: created, text });
        }
      }
      for (const z of [...kept.values()].flat()) accessor.removeZone(z.id);
      this.zones = next;
    });
  }

  private blockNode(text: string): HTMLElement {
    const font = this.editor.getOption(this.monaco.editor.EditorOption.fontInfo);
    const node = document.createElement('div');
    node.className = 'spark-edit-inserted-block';
    Object.assign(node.style, { fontFamily: font.fontFamily, fontSize: `${font.fontSize}px`, lineHeight: `${font.lineHeight}px`, fontWeight: font.fontWeight });
    node.textContent = text;
    return node;
  }

  dispose(): void {
    this.set([]);
  }
}
