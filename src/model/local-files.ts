// What a set of local files (picked together, dropped together, or a dropped folder's contents)
// is as a model: one .gguf file, or a Hugging Face folder (config.json, tokenizer.json and its
// safetensors weights). Decided from the names alone, so nothing is read before the user's model
// is known to be one; the loader then checks the contents.

import { HF_FOLDER_FILES } from './model-files.ts';

/** A local file as the page has it (a File), or anything else with a name. */
export interface NamedFile { readonly name: string }

export type LocalModel<F extends NamedFile> =
  | { kind: 'gguf'; name: string; file: F }
  | { kind: 'folder'; name: string; files: Readonly<Record<string, F>> };

const isGguf = (name: string) => /\.gguf$/i.test(name);
const isSafetensors = (name: string) => /\.safetensors$/i.test(name);
const baseName = (name: string) => name.slice(Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\')) + 1);

export const LOCAL_MODEL_FORMS = 'a .gguf file, or a model folder (config.json, tokenizer.json and its *.safetensors together)';

/**
 * The model in `files`; `folderName` names a folder model (a dropped folder's name), else its
 * files' count does. Throws an Error that says what is missing.
 */
export function localModel<F extends NamedFile>(files: readonly F[], folderName?: string): LocalModel<F> {
  const byName = new Map<string, F>();
  for (const file of files) byName.set(baseName(file.name), file);
  const names = [...byName.keys()];
  const ggufs = names.filter(isGguf).sort();
  const weights = names.filter(isSafetensors);
  const listed = (list: readonly string[]) => list.slice(0, 6).join(', ') + (list.length > 6 ? `, … (${list.length} in all)` : '');

  if (byName.has('config.json') || weights.length > 0) {
    const missing = ['config.json', 'tokenizer.json'].filter((n) => !byName.has(n));
    if (weights.length === 0) missing.push('*.safetensors weights');
    if (missing.length > 0) {
      throw new Error(`${listed(names)}: a model folder needs ${missing.join(' and ')} too (choose or drop them together, or the folder)`);
    }
    const kept = Object.fromEntries(names.filter((n) => HF_FOLDER_FILES.has(n) || isSafetensors(n)).map((n) => [n, byName.get(n)!]));
    return { kind: 'folder', name: folderName !== undefined ? `model folder ${folderName}` : `model folder (${Object.keys(kept).length} files)`, files: kept };
  }
  if (ggufs.length === 1) return { kind: 'gguf', name: ggufs[0]!, file: byName.get(ggufs[0]!)! };
  if (ggufs.length > 1) throw new Error(`${listed(ggufs)}: several .gguf files; choose one`);
  throw new Error(`${listed(names) || 'no files'}: not a model. Choose or drop ${LOCAL_MODEL_FORMS}`);
}
