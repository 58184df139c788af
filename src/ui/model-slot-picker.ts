// "Load into: Ghost text | Edit": which model slot "Open model file…" and "Model…" load into.
// Ghost text runs inline completions; Edit runs Edit (Ctrl/Cmd+K) and the alternatives. The
// choice is the picker's alone: the pickers beside it stay slot-agnostic.

import type { SlotName } from '../settings.ts';
import { listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';

const OPTIONS: readonly { value: SlotName; label: string }[] = [
  { value: 'ghost', label: 'Ghost text' },
  { value: 'edit', label: 'Edit' },
];

export class ModelSlotPicker implements Disposable {
  private readonly select: HTMLSelectElement;
  private readonly subscription: Disposable;
  private target: SlotName = 'ghost';

  constructor(private readonly slot: HTMLElement) {
    this.select = element('select', {
      'data-testid': 'model-slot-picker', title: 'The slot a model you open or download runs in: ghost text (completions) or Edit (Ctrl/Cmd+K and alternatives)',
    });
    this.select.replaceChildren(...OPTIONS.map((o) => element('option', { value: o.value }, o.label)));
    const label = element('label', { class: 'toolbar-field' });
    label.append(element('span', {}, 'Load into:'), this.select);
    slot.replaceChildren(label);
    this.subscription = listen(this.select, 'change', () => {
      this.target = OPTIONS.find((o) => o.value === this.select.value)?.value ?? 'ghost';
    });
  }

  /** The slot the next model goes into. */
  get value(): SlotName { return this.target; }

  dispose(): void {
    this.subscription.dispose();
    this.slot.replaceChildren();
  }
}
