// The document's text, read once per version. Monaco's getValue() joins every line into a new
// string (a 2,000-line file: ~60k characters per call), and one keystroke asks for the text more
// than once: the inline provider's cursor context, and the editor host's snapshot (the status
// bar's selections, autosave). Both go through here, so a keystroke reads the document once.

import type * as Monaco from 'monaco-editor';

type TextModel = Pick<Monaco.editor.ITextModel, 'getValue' | 'getVersionId'>;

const cache = new WeakMap<TextModel, { version: number; text: string }>();

/** model.getValue(), reused while the model's version is unchanged. */
export function documentText(model: TextModel): string {
  const version = model.getVersionId();
  const hit = cache.get(model);
  if (hit && hit.version === version) return hit.text;
  const text = model.getValue();
  cache.set(model, { version, text });
  return text;
}
