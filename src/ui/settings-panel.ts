// The settings panel: one input per setting, validated as the user types. A value that fails
// validation stays in its input with the reason beside it (never silently reset or lost) and is
// not applied; valid values apply immediately.

import { DEFAULT_SETTINGS, SETTING_KEYS, SETTING_RULES, parseSettingInput, type SettingKey, type Settings, type SettingsModel } from '../settings.ts';
import { DisposableStore, listen, type Disposable } from '../util/disposable.ts';
import { element } from './dom.ts';

interface FieldView {
  input: HTMLInputElement;
  error: HTMLElement;
}

export class SettingsPanel implements Disposable {
  private readonly store = new DisposableStore();
  private readonly fields = new Map<SettingKey, FieldView>();

  constructor(
    private readonly panel: HTMLElement,
    private readonly toggleButton: HTMLButtonElement,
    private readonly settings: SettingsModel,
  ) {
    this.render();
    this.store.add(listen(toggleButton, 'click', () => this.toggle()));
    this.store.add(listen(panel, 'keydown', (event) => {
      if (event.key === 'Escape') this.close();
    }));
    // Settings can change from elsewhere (a link, the automation handle): show them, except in a field
    // the user is editing with an invalid value, which keeps what they typed.
    this.store.add(settings.onDidChange((next) => this.showValues(next, false)));
  }

  get isOpen(): boolean {
    return !this.panel.hidden;
  }

  open(): void {
    this.panel.hidden = false;
    this.toggleButton.setAttribute('aria-expanded', 'true');
    this.fields.values().next().value?.input.focus();
  }

  close(): void {
    this.panel.hidden = true;
    this.toggleButton.setAttribute('aria-expanded', 'false');
  }

  toggle(): void {
    if (this.isOpen) this.close();
    else this.open();
  }

  private render(): void {
    this.panel.replaceChildren(element('h2', {}, 'Engine settings'));
    for (const key of SETTING_KEYS) {
      const rule = SETTING_RULES[key];
      const id = `setting-${key}`;
      const row = element('div', { class: 'settings-row' });
      const label = element('label', { for: id }, rule.label);
      const input = element('input', {
        id, name: key, 'data-testid': id, autocomplete: 'off', spellcheck: 'false',
        inputmode: rule.kind === 'number' ? 'decimal' : 'text',
      });
      const error = element('span', { class: 'settings-error', 'data-testid': `${id}-error`, 'aria-live': 'polite' });
      input.setAttribute('aria-describedby', `${id}-error`);
      error.id = `${id}-error`;
      this.store.add(listen(input, 'input', () => this.onInput(key)));
      row.append(label, input, error);
      if (rule.kind === 'string' && rule.values) {
        // The browser offers the values as the user types; what is typed is still validated like any field.
        const list = element('datalist', { id: `${id}-values` });
        list.append(...rule.values.map((v) => element('option', { value: v })));
        input.setAttribute('list', list.id);
        row.append(list);
      }
      this.panel.append(row);
      this.fields.set(key, { input, error });
    }
    const reset = element('button', { type: 'button', 'data-testid': 'settings-reset' }, 'Reset to defaults');
    const close = element('button', { type: 'button', 'data-testid': 'settings-close' }, 'Close');
    this.store.add(listen(reset, 'click', () => this.settings.set({ ...DEFAULT_SETTINGS })));
    this.store.add(listen(close, 'click', () => this.close()));
    const actions = element('div', { class: 'settings-actions' });
    actions.append(reset, close);
    this.panel.append(actions);
    this.showValues(this.settings.value, true);
  }

  private onInput(key: SettingKey): void {
    const field = this.fields.get(key)!;
    const result = parseSettingInput(key, field.input.value);
    if (!result.ok) {
      this.showError(field, result.error);
      return;
    }
    this.showError(field, '');
    this.settings.update({ [key]: result.value } as Partial<Settings>);
  }

  private showValues(values: Readonly<Settings>, overwriteInvalid: boolean): void {
    for (const [key, field] of this.fields) {
      const invalid = field.input.getAttribute('aria-invalid') === 'true';
      if (invalid && !overwriteInvalid) continue;
      // Don't rewrite "0.50" as "0.5" under the user's cursor when it already means the same value.
      const shown = parseSettingInput(key, field.input.value);
      if (!(shown.ok && shown.value === values[key])) field.input.value = String(values[key]);
      this.showError(field, '');
    }
  }

  private showError(field: FieldView, message: string): void {
    field.error.textContent = message;
    field.input.setAttribute('aria-invalid', message ? 'true' : 'false');
  }

  dispose(): void {
    this.store.dispose();
    this.panel.replaceChildren();
  }
}
