// The language <select>: options from LANGUAGES, built as elements (no markup strings).

import { LANGUAGES } from '../document/languages.ts';
import { listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';

export class LanguagePicker implements Disposable {
  private readonly subscription: Disposable;

  constructor(private readonly select: HTMLSelectElement, onPick: (languageId: string) => void) {
    select.replaceChildren(...LANGUAGES.map((language) => element('option', { value: language.id }, language.label)));
    this.subscription = listen(select, 'change', () => onPick(select.value));
  }

  show(languageId: string): void {
    this.select.value = languageId;
  }

  dispose(): void {
    this.subscription.dispose();
  }
}
