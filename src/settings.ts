// Engine settings the page owns: edited in the settings panel, carried in playground links,
// autosaved with the workspace, and read by the engine loop. One definition of every field's
// type, default and range, so the link decoder, the panel and the engine agree.

import { BACKEND_PREFERENCES, MAX_TOKENS, QUANTIZE_FORMATS, TOKENS_PER_SUBMIT, type BackendPreference, type QuantizeFormat } from './engine/index.ts';
import { GATE_THRESHOLD } from './editor/inline/confidence-gate.ts';
import { Emitter } from './util/emitter.ts';

export interface Settings {
  /** Model directory under public/models/ (or a future registry id): the ghost text slot's model. */
  modelId: string;
  /** The Edit slot's model (rewrites and alternatives): SAME_AS_GHOST, or a model id like modelId. */
  editModelId: string;
  /** Float checkpoints' matrices quantized to these blocks on upload to the GPU (QUANTIZE_OFF: kept as floats); both slots. */
  quantizeOnLoad: QuantizeSetting;
  /** Which path runs both slots' models: auto (the fastest, timed at load on this device), webgpu or cpu. */
  enginePath: BackendPreference;
  /** 0 = greedy (see SamplingParams in src/engine/api/types.ts). */
  temperature: number;
  /** 0 = no top-k cut. */
  topK: number;
  /** 1 = no nucleus cut. */
  topP: number;
  /** u32 seed of the sampler's random stream. */
  seed: number;
  /** Keystroke debounce before a request is sent. */
  debounceMs: number;
  /** Tokens decoded per GPU submit (N): readbacks happen once per submit. TOKENS_PER_SUBMIT_AUTO: the engine's, from the measured time per token. */
  tokensPerSubmit: number;
  /** Most tokens one suggestion may have. */
  maxTokens: number;
  /** A suggestion is shown only when its estimated chance of being taken is at least this (0: all are shown). */
  gateThreshold: number;
  /** EDIT_GUARD_ON: a base model's rewrite stands only when the model scores it no worse than the code it replaces. */
  editGuard: EditGuardSetting;
}

export type SettingKey = keyof Settings;

/** The model slots: "ghost" runs inline completions (modelId), "edit" runs Edit and the alternatives (editModelId). */
export type SlotName = 'ghost' | 'edit';

/** editModelId's value for "the Edit slot runs the ghost text slot's model" (one engine, one copy of the weights). */
export const SAME_AS_GHOST = 'same';

/** quantizeOnLoad's value for "keep a float checkpoint's weights as floats". */
export const QUANTIZE_OFF = 'off';
export type QuantizeSetting = typeof QUANTIZE_OFF | QuantizeFormat;

/** tokensPerSubmit's value for "the engine chooses N from the time per token it measured at load". */
export const TOKENS_PER_SUBMIT_AUTO = 0;

/** editGuard's values: the never-worse check on (the default), or every finished rewrite proposed. */
export const EDIT_GUARD_ON = 'never-worse';
export const EDIT_GUARD_OFF = 'off';
export type EditGuardSetting = typeof EDIT_GUARD_ON | typeof EDIT_GUARD_OFF;

/** The block type a model's float weights are quantized to on load under these settings (undefined: none). */
export const quantizeFormatOf = (s: Readonly<Settings>): QuantizeFormat | undefined =>
  s.quantizeOnLoad === QUANTIZE_OFF ? undefined : s.quantizeOnLoad;

export const DEFAULT_SETTINGS: Readonly<Settings> = Object.freeze({
  modelId: 'spark-nano',
  editModelId: SAME_AS_GHOST,
  quantizeOnLoad: QUANTIZE_OFF,
  enginePath: 'auto',
  temperature: 0,
  topK: 0,
  topP: 1,
  seed: 0,
  debounceMs: 10,
  tokensPerSubmit: TOKENS_PER_SUBMIT_AUTO,
  maxTokens: MAX_TOKENS.default,
  gateThreshold: GATE_THRESHOLD,
  editGuard: EDIT_GUARD_ON,
});

interface RuleBase {
  label: string;
  /**
   * Links made before the field existed lack it: strict validation then takes the default instead
   * of refusing the link. (Only fields whose default leaves a link's meaning intact may be optional.)
   */
  optional?: boolean;
}
interface NumberRule extends RuleBase {
  kind: 'number';
  min: number;
  max: number;
  integer: boolean;
  /** topP must be > 0; other minimums are inclusive. */
  exclusiveMin?: boolean;
}
interface StringRule extends RuleBase {
  kind: 'string';
  pattern: RegExp;
  hint: string;
  /** A field with a fixed set of values: all of them (the pattern accepts exactly these). */
  values?: readonly string[];
}
export type SettingRule = NumberRule | StringRule;

/** One path part: letters, digits, . _ - but not "." or ".." on their own. */
const MODEL_ID_PART = String.raw`(?!\.\.?(?:/|$))[A-Za-z0-9._-]+`;
const MODEL_ID = String.raw`(?=[A-Za-z0-9])(?=[^]{1,128}$)${MODEL_ID_PART}(?:/${MODEL_ID_PART})*`;
const MODEL_ID_PATTERN = new RegExp(`^${MODEL_ID}$`);
const MODEL_ID_HINT = '1–128 characters: letters, digits and . _ -, in parts separated by / and starting with a letter or digit; no empty, "." or ".." parts';

/** A string setting with a fixed set of values; optional, as links made before it existed lack it. */
function oneOf(label: string, values: readonly string[], meaning: string): StringRule {
  return {
    kind: 'string', label, values, optional: true,
    pattern: new RegExp(`^(?:${values.map((v) => v.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|')})$`),
    hint: `${values.map((v) => `"${v}"`).join(', ')}: ${meaning}`,
  };
}

export const SETTING_RULES: Readonly<Record<SettingKey, SettingRule>> = Object.freeze({
  modelId: {
    // The id becomes a URL path under public/models/: a "." or ".." part would step out of it.
    kind: 'string', label: 'Model id', pattern: MODEL_ID_PATTERN, hint: MODEL_ID_HINT,
  },
  editModelId: {
    // "same" is also a valid id's spelling: it always means the ghost text model, so no folder named "same" can be the Edit model.
    kind: 'string', label: 'Edit model id', pattern: MODEL_ID_PATTERN, hint: `"${SAME_AS_GHOST}" (the ghost text model) or a model id: ${MODEL_ID_HINT}`,
    optional: true,
  },
  quantizeOnLoad: oneOf('Quantize on load', [QUANTIZE_OFF, ...QUANTIZE_FORMATS], "a float checkpoint's weights on the GPU (a GGUF's quantized ones stay as they are)"),
  enginePath: oneOf('Engine path', BACKEND_PREFERENCES, 'auto runs the path that answered a keystroke fastest when the model loaded on this device; webgpu or cpu runs that one'),
  temperature: { kind: 'number', label: 'Temperature', min: 0, max: 2, integer: false },
  topK: { kind: 'number', label: 'Top-k', min: 0, max: 1000, integer: true },
  topP: { kind: 'number', label: 'Top-p', min: 0, max: 1, integer: false, exclusiveMin: true },
  seed: { kind: 'number', label: 'Seed', min: 0, max: 0xffff_ffff, integer: true },
  debounceMs: { kind: 'number', label: 'Debounce (ms)', min: 0, max: 2000, integer: true },
  tokensPerSubmit: { kind: 'number', label: 'Tokens per submit (0 = from the measured time per token)', min: TOKENS_PER_SUBMIT_AUTO, max: TOKENS_PER_SUBMIT.max, integer: true },
  maxTokens: { kind: 'number', label: 'Max tokens', min: MAX_TOKENS.min, max: MAX_TOKENS.max, integer: true },
  gateThreshold: { kind: 'number', label: 'Suggestion gate (least chance of being taken, 0 = show all)', min: 0, max: 1, integer: false, optional: true },
  editGuard: oneOf('Edit guard', [EDIT_GUARD_ON, EDIT_GUARD_OFF], 'a rewrite stands only when the model scores it no worse than your code, or every finished rewrite is proposed'),
});

export const SETTING_KEYS: readonly SettingKey[] = Object.keys(SETTING_RULES) as SettingKey[];

export type FieldResult<T> = { ok: true; value: T } | { ok: false; error: string };

/** Checks one field's value (already typed: a number or a string), returning a message that names the field. */
export function validateSettingValue(key: SettingKey, value: unknown): FieldResult<string | number> {
  const rule = SETTING_RULES[key];
  if (rule.kind === 'string') {
    if (typeof value !== 'string') return { ok: false, error: `${rule.label} must be text` };
    if (!rule.pattern.test(value)) return { ok: false, error: `${rule.label}: ${rule.hint}` };
    return { ok: true, value };
  }
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    return { ok: false, error: `${rule.label} must be a number` };
  }
  if (rule.integer && !Number.isInteger(value)) return { ok: false, error: `${rule.label} must be a whole number` };
  const belowMin = rule.exclusiveMin ? value <= rule.min : value < rule.min;
  if (belowMin || value > rule.max) {
    const lower = rule.exclusiveMin ? `greater than ${rule.min}` : `at least ${rule.min}`;
    return { ok: false, error: `${rule.label} must be ${lower} and at most ${rule.max}` };
  }
  return { ok: true, value };
}

/** Parses what the user typed into a settings field (a string) into the field's type, then validates it. */
export function parseSettingInput(key: SettingKey, text: string): FieldResult<string | number> {
  const rule = SETTING_RULES[key];
  if (rule.kind === 'string') return validateSettingValue(key, text.trim());
  const trimmed = text.trim();
  // Number('') is 0 and Number('0x10') is 16: accept only plain decimal notation.
  if (!/^-?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(trimmed)) return { ok: false, error: `${rule.label} must be a number` };
  return validateSettingValue(key, Number(trimmed));
}

export type SettingsResult = { ok: true; settings: Settings } | { ok: false; errors: string[] };

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A field name from untrusted input, for an error message: quoted, escaped and cut to 40 characters. */
export const quoteKey = (key: string): string => JSON.stringify(key.slice(0, 40));

/**
 * Strict validation (playground links): every field present, right type, in range, and no
 * unknown fields — a link that carries something we don't understand is from another version.
 */
export function validateSettings(input: unknown): SettingsResult {
  if (!isPlainObject(input)) return { ok: false, errors: ['settings must be an object'] };
  const errors: string[] = [];
  // Own keys only: `in` would accept "constructor", "toString" or an own "__proto__" (JSON.parse makes one).
  for (const key of Object.keys(input)) {
    if (!Object.hasOwn(SETTING_RULES, key)) errors.push(`unknown setting ${quoteKey(key)}`);
  }
  // Built from the known keys only, so nothing from the input can reach the result's prototype.
  const settings: Record<string, unknown> = {};
  for (const key of SETTING_KEYS) {
    if (!Object.hasOwn(input, key)) {
      const rule = SETTING_RULES[key];
      if (rule.optional) settings[key] = DEFAULT_SETTINGS[key];
      else errors.push(`${rule.label} is missing`);
      continue;
    }
    const result = validateSettingValue(key, input[key]);
    if (result.ok) settings[key] = result.value;
    else errors.push(result.error);
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, settings: settings as unknown as Settings };
}

/**
 * Lenient reading (the autosaved workspace, which may predate a new field): each valid field is
 * kept, anything missing or invalid falls back to its default, unknown fields are dropped.
 */
export function settingsWithDefaults(input: unknown): Settings {
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  if (isPlainObject(input)) {
    for (const key of SETTING_KEYS) {
      if (!Object.hasOwn(input, key)) continue;
      const result = validateSettingValue(key, input[key]);
      if (result.ok) settings[key] = result.value;
    }
  }
  return settings as unknown as Settings;
}

/** The fields that choose the models and how they load: a link's are applied only when the user keeps the link. */
export const MODEL_KEYS = ['modelId', 'editModelId', 'quantizeOnLoad', 'enginePath'] as const satisfies readonly SettingKey[];

/** Whether two settings run the same models. */
export const sameModels = (a: Readonly<Settings>, b: Readonly<Settings>): boolean => MODEL_KEYS.every((key) => a[key] === b[key]);

/** `settings` with the model fields of `models`. */
export function withModelsOf(settings: Readonly<Settings>, models: Readonly<Settings>): Settings {
  const result: Record<string, unknown> = { ...settings };
  for (const key of MODEL_KEYS) result[key] = models[key];
  return result as unknown as Settings;
}

export function settingsEqual(a: Settings, b: Settings): boolean {
  return SETTING_KEYS.every((key) => a[key] === b[key]);
}

/** The live settings of the page: one instance, created by main.ts, observed by whoever needs them. */
export class SettingsModel {
  private current: Settings;
  private readonly changes = new Emitter<Settings>();
  readonly onDidChange = this.changes.event;

  constructor(initial: Settings = DEFAULT_SETTINGS) {
    this.current = { ...initial };
  }

  get value(): Readonly<Settings> {
    return this.current;
  }

  /** Replaces all settings; throws on invalid input (callers validate user input first). */
  set(next: Settings): void {
    const result = validateSettings(next);
    if (!result.ok) throw new Error(`invalid settings: ${result.errors.join('; ')}`);
    if (settingsEqual(this.current, result.settings)) return;
    this.current = result.settings;
    this.changes.fire({ ...this.current });
  }

  /** Updates some fields; same validation as set(). */
  update(partial: Partial<Settings>): void {
    this.set({ ...this.current, ...partial });
  }

  dispose(): void {
    this.changes.dispose();
  }
}
