// Edits of a generated model directory's files, for tests that need one thing wrong.
import type { ModelFiles } from './test-model.ts';

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** The files with one JSON file replaced by `edit` of its parsed content. */
export function withJson(files: ModelFiles, name: string, edit: (json: Record<string, unknown>) => unknown): ModelFiles {
  const json = JSON.parse(decoder.decode(files[name])) as Record<string, unknown>;
  return { ...files, [name]: encoder.encode(JSON.stringify(edit(json) ?? json)) };
}

/** Parsed JSON of one of the files. */
export function readJson(files: ModelFiles, name: string): Record<string, unknown> {
  return JSON.parse(decoder.decode(files[name])) as Record<string, unknown>;
}
