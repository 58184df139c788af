import { describe, expect, it } from 'vitest';
import {
  DEFAULT_SETTINGS, SAME_AS_GHOST, SETTING_KEYS, SettingsModel, parseSettingInput, sameModels, settingsWithDefaults, validateSettings, withModelsOf,
} from './settings.ts';

describe('settings validation', () => {
  it('accepts the defaults', () => {
    expect(validateSettings({ ...DEFAULT_SETTINGS })).toEqual({ ok: true, settings: DEFAULT_SETTINGS });
  });

  it('accepts the edges of every range', () => {
    const low = { ...DEFAULT_SETTINGS, temperature: 0, topK: 0, topP: 1e-9, seed: 0, debounceMs: 0, tokensPerSubmit: 0, maxTokens: 1 };
    const high = { ...DEFAULT_SETTINGS, temperature: 2, topK: 1000, topP: 1, seed: 0xffffffff, debounceMs: 2000, tokensPerSubmit: 64, maxTokens: 1024 };
    expect(validateSettings(low).ok).toBe(true);
    expect(validateSettings(high).ok).toBe(true);
  });

  it.each([
    ['temperature', -0.1], ['temperature', 2.01], ['temperature', Number.NaN], ['temperature', Infinity],
    ['topK', -1], ['topK', 1.5], ['topP', 0], ['topP', 1.01], ['seed', -1], ['seed', 2 ** 32],
    ['debounceMs', 2001], ['tokensPerSubmit', -1], ['tokensPerSubmit', 65], ['maxTokens', 0], ['maxTokens', 2000],
    ['modelId', ''], ['modelId', 'has space'], ['modelId', '../etc'], ['modelId', 'x'.repeat(129)],
    ['temperature', '0.5'], ['modelId', 7], ['topK', null], ['seed', true],
  ])('rejects %s = %s with a message naming the field', (key, value) => {
    const result = validateSettings({ ...DEFAULT_SETTINGS, [key]: value });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.errors.join(' ')).toMatch(/Model id|Temperature|Top-k|Top-p|Seed|Debounce|Tokens per submit|Max tokens/);
  });

  it('rejects non-objects, missing and unknown fields', () => {
    expect(validateSettings(null).ok).toBe(false);
    expect(validateSettings([]).ok).toBe(false);
    const { seed: _seed, ...missing } = DEFAULT_SETTINGS;
    expect(validateSettings(missing)).toEqual({ ok: false, errors: ['Seed is missing'] });
    expect(validateSettings({ ...DEFAULT_SETTINGS, extra: 1 })).toEqual({ ok: false, errors: ['unknown setting "extra"'] });
  });

  it.each(['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])(
    'an own "%s" key (as JSON.parse makes it) is an unknown setting, and pollutes nothing', (key) => {
      const input: unknown = JSON.parse(`{${JSON.stringify(DEFAULT_SETTINGS).slice(1, -1)},${JSON.stringify(key)}:{"polluted":1}}`);
      expect(Object.hasOwn(input as object, key)).toBe(true);
      expect(validateSettings(input)).toEqual({ ok: false, errors: [`unknown setting "${key}"`] });
      const lenient = settingsWithDefaults(input);
      expect(Object.keys(lenient).sort()).toEqual([...SETTING_KEYS].sort());
      expect(Object.getPrototypeOf(lenient)).toBe(Object.prototype);
      expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    });

  it('a valid result holds exactly the known keys, on a plain object', () => {
    const result = validateSettings(JSON.parse(JSON.stringify(DEFAULT_SETTINGS)));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(Object.keys(result.settings).sort()).toEqual([...SETTING_KEYS].sort());
      expect(Object.getPrototypeOf(result.settings)).toBe(Object.prototype);
    }
  });

  it.each(['..', '.', 'a/..', 'a/../b', '../a', 'a/./b', './a', 'a/.', '/a', 'a//b', 'a/', 'a/b/../../etc'])(
    'a model id with an empty, "." or ".." path segment (%s) is refused', (modelId) => {
      const result = validateSettings({ ...DEFAULT_SETTINGS, modelId });
      expect(result).toEqual({ ok: false, errors: [expect.stringMatching(/^Model id: .*no empty, "\." or "\.\." parts/)] });
    });

  it.each(['spark-nano', 'qwen/coder-0.5b', 'Qwen2.5-Coder-0.5B', 'org/model.v2/q4', 'a...b', 'a/.hidden', 'v1..2'])(
    'a model id made of real names (%s) is accepted', (modelId) => {
      expect(validateSettings({ ...DEFAULT_SETTINGS, modelId }).ok).toBe(true);
    });

  it('the Edit model id: "same" or a model id; a link from before it existed opens with "same"', () => {
    const { editModelId: _, ...before } = DEFAULT_SETTINGS;
    expect(validateSettings(before)).toEqual({ ok: true, settings: { ...DEFAULT_SETTINGS, editModelId: SAME_AS_GHOST } });
    expect(validateSettings({ ...DEFAULT_SETTINGS, editModelId: 'org/coder-1b' }).ok).toBe(true);
    expect(validateSettings({ ...DEFAULT_SETTINGS, editModelId: '../x' })).toEqual({ ok: false, errors: [expect.stringMatching(/^Edit model id: "same" \(the ghost text model\) or a model id: /)] });
    expect(validateSettings({ ...DEFAULT_SETTINGS, modelId: undefined }).ok).toBe(false); // the ghost text model id stays required
    const a = { ...DEFAULT_SETTINGS, modelId: 'a', editModelId: 'b' };
    expect(sameModels(a, { ...a, seed: 9 })).toBe(true);
    expect(sameModels(a, { ...a, editModelId: SAME_AS_GHOST })).toBe(false);
    expect(withModelsOf({ ...DEFAULT_SETTINGS, seed: 9 }, a)).toEqual({ ...a, seed: 9 });
  });

  it('reads a stored record leniently: keeps good fields, defaults the rest', () => {
    expect(settingsWithDefaults({ temperature: 0.5, topK: 'x', future: 1 })).toEqual({ ...DEFAULT_SETTINGS, temperature: 0.5 });
    expect(settingsWithDefaults(undefined)).toEqual(DEFAULT_SETTINGS);
  });

  it('parses what the user types', () => {
    expect(parseSettingInput('temperature', ' 0.75 ')).toEqual({ ok: true, value: 0.75 });
    expect(parseSettingInput('temperature', '.5')).toEqual({ ok: true, value: 0.5 });
    expect(parseSettingInput('maxTokens', '1e2')).toEqual({ ok: true, value: 100 });
    expect(parseSettingInput('modelId', ' spark-nano ')).toEqual({ ok: true, value: 'spark-nano' });
    for (const bad of ['', ' ', 'abc', '0x10', '1,5', '--1']) {
      expect(parseSettingInput('temperature', bad).ok, JSON.stringify(bad)).toBe(false);
    }
    expect(parseSettingInput('topK', '2.5')).toEqual({ ok: false, error: 'Top-k must be a whole number' });
    expect(parseSettingInput('temperature', '3')).toEqual({ ok: false, error: 'Temperature must be at least 0 and at most 2' });
    expect(parseSettingInput('topP', '0')).toEqual({ ok: false, error: 'Top-p must be greater than 0 and at most 1' });
  });

  it('has a rule for every field of the defaults', () => {
    expect([...SETTING_KEYS].sort()).toEqual(Object.keys(DEFAULT_SETTINGS).sort());
  });
});

describe('SettingsModel', () => {
  it('fires on real changes only, and refuses invalid values', () => {
    const model = new SettingsModel();
    const seen: number[] = [];
    const sub = model.onDidChange((s) => seen.push(s.temperature));
    model.update({ temperature: 0.5 });
    model.update({ temperature: 0.5 });
    expect(() => model.update({ temperature: 5 })).toThrow(/Temperature/);
    expect(model.value.temperature).toBe(0.5);
    sub.dispose();
    model.update({ temperature: 0.1 });
    expect(seen).toEqual([0.5]);
    model.dispose();
  });
});
