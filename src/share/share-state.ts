// What a playground link (and the autosaved workspace) holds, and the schema check that every
// decoded link goes through before any of it reaches the editor.

import { isSupportedLanguage } from '../document/languages.ts';
import { lineLengths, type EditorSnapshot, type SelectionState } from '../document/snapshot.ts';
import { quoteKey, validateSettings, type Settings } from '../settings.ts';
import { validateLinkModel } from './link-model.ts';

export interface ShareState extends EditorSnapshot {
  settings: Settings;
  /** A model that is not shipped with the page: a hub id pinned to a commit, or a .gguf URL (link-model.ts). */
  model?: string;
}

export interface ShareWireOptions {
  /** The origins the page may fetch models from (connect-src); a link's model URL must be on one. */
  modelHosts?: readonly string[];
}

/** Many-cursor states are legitimate; tens of thousands are not. */
export const MAX_SELECTIONS = 1000;

/** A position is valid when the line exists and the column is at most one past its last character. */
function positionError(lengths: readonly number[], line: unknown, column: unknown): string | undefined {
  if (!Number.isInteger(line) || !Number.isInteger(column)) return 'positions must be whole numbers';
  const l = line as number;
  const c = column as number;
  if (l < 1 || l > lengths.length) return `line ${l} is outside the document (1–${lengths.length})`;
  const max = lengths[l - 1]! + 1;
  if (c < 1 || c > max) return `column ${c} is outside line ${l} (1–${max})`;
  return undefined;
}

export type Validated<T> = { ok: true; value: T } | { ok: false; errors: string[] };

/** Selections on the wire are [anchorLine, anchorColumn, activeLine, activeColumn] tuples. */
export type WireSelection = [number, number, number, number];

export function selectionsToWire(selections: readonly SelectionState[]): WireSelection[] {
  return selections.map((s) => [s.anchorLine, s.anchorColumn, s.activeLine, s.activeColumn]);
}

export function validateSelections(input: unknown, text: string): Validated<SelectionState[]> {
  if (!Array.isArray(input)) return { ok: false, errors: ['selections must be a list'] };
  if (input.length < 1 || input.length > MAX_SELECTIONS) {
    return { ok: false, errors: [`there must be 1–${MAX_SELECTIONS} selections`] };
  }
  const lengths = lineLengths(text);
  const selections: SelectionState[] = [];
  for (const item of input) {
    if (!Array.isArray(item) || item.length !== 4) {
      return { ok: false, errors: ['each selection must be [anchorLine, anchorColumn, activeLine, activeColumn]'] };
    }
    const [anchorLine, anchorColumn, activeLine, activeColumn] = item as unknown[];
    const error = positionError(lengths, anchorLine, anchorColumn) ?? positionError(lengths, activeLine, activeColumn);
    if (error) return { ok: false, errors: [`selection: ${error}`] };
    selections.push({
      anchorLine: anchorLine as number, anchorColumn: anchorColumn as number,
      activeLine: activeLine as number, activeColumn: activeColumn as number,
    });
  }
  return { ok: true, value: selections };
}

const WIRE_KEYS = ['text', 'language', 'selections', 'settings'] as const;
const OPTIONAL_WIRE_KEYS = ['model'] as const;

/**
 * What kind of JSON value this is, for error messages. Untrusted values are never passed to
 * String(): an object's toString may be missing or not callable, and nested lists recurse.
 */
export function describeJsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'string': return 'text';
    case 'number': return 'a number';
    case 'boolean': return 'true/false';
    case 'object': return 'an object';
    default: return typeof value;
  }
}

/**
 * Checks a decoded link payload field by field; the result is safe to hand to the editor. It
 * reads only own fields, never recurses into values, and builds the result from known keys.
 */
export function validateShareWire(input: unknown, options: ShareWireOptions = {}): Validated<ShareState> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return { ok: false, errors: [`the link holds ${describeJsonType(input)}, not an object`] };
  }
  const record = input as Record<string, unknown>;
  const errors: string[] = [];
  for (const key of Object.keys(record)) {
    if (!(WIRE_KEYS as readonly string[]).includes(key) && !(OPTIONAL_WIRE_KEYS as readonly string[]).includes(key)) errors.push(`unknown field ${quoteKey(key)}`);
  }
  for (const key of WIRE_KEYS) if (!Object.hasOwn(record, key)) errors.push(`missing field "${key}"`);
  if (errors.length > 0) return { ok: false, errors };

  const { text, language } = record;
  if (typeof text !== 'string') return { ok: false, errors: [`the document must be text, not ${describeJsonType(text)}`] };
  if (typeof language !== 'string') return { ok: false, errors: [`language must be text, not ${describeJsonType(language)}`] };
  const shownLanguage = JSON.stringify(language.slice(0, 40));
  if (!isSupportedLanguage(language)) return { ok: false, errors: [`unsupported language ${shownLanguage}`] };
  const selections = validateSelections(record['selections'], text);
  if (!selections.ok) return selections;
  const settings = validateSettings(record['settings']);
  if (!settings.ok) return { ok: false, errors: settings.errors };
  let model: string | undefined;
  if (Object.hasOwn(record, 'model')) {
    const checked = validateLinkModel(record['model'], options.modelHosts);
    if (!checked.ok) return checked;
    model = checked.value;
  }
  return { ok: true, value: { text, language, selections: selections.value, settings: settings.settings, ...(model !== undefined ? { model } : {}) } };
}
