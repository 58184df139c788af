// The replay's baselines, as completion engines: the same controller and post-processing judge
// them as the model, so the only difference is where the raw text comes from.
//   copy:  copy-from-context, the engine's own prompt-lookup drafter over the document's tokens
//          (the text after the cursor, then the text before it), used as the suggestion itself;
//   ngram: a token 4-gram of the training split (ngram.ts), greedy.

import type { CompletionEngine } from '../../src/editor/inline/completion-controller.ts';
import { completionMaxTokens } from '../../src/editor/engine-adapters.ts';
import type { Lab } from '../../src/engine/index.ts';
import type { Settings } from '../../src/settings.ts';
import { ngramNext, type NgramTable } from './ngram.ts';

export interface TextTokenizer {
  encode(text: string): number[];
  decode(ids: number[]): string;
}

/** Enough text before the cursor for a 4-gram's context, cut at a line start so it tokenizes as in place. */
const NGRAM_CONTEXT_CHARS = 64;

export function copyEngine(tok: TextTokenizer, lab: Pick<Lab, 'promptLookupDraft'>, settings: Readonly<Settings>): CompletionEngine {
  return {
    async complete(req, onText) {
      const sequence = [...tok.encode(req.suffix), ...tok.encode(req.prefix)];
      const draft = lab.promptLookupDraft(sequence, completionMaxTokens(req.mode, settings));
      if (draft.length > 0) onText(tok.decode(draft));
    },
  };
}

export function ngramEngine(tok: TextTokenizer, table: NgramTable, settings: Readonly<Settings>): CompletionEngine {
  return {
    async complete(req, onText, signal) {
      const lineStart = req.prefix.lastIndexOf('\n', Math.max(0, req.prefix.length - NGRAM_CONTEXT_CHARS));
      const ids = tok.encode(req.prefix.slice(lineStart + 1));
      const out: number[] = [];
      const max = completionMaxTokens(req.mode, settings);
      while (out.length < max && !signal.aborted) {
        const next = ngramNext(table, ids);
        if (next === undefined) break;
        ids.push(next);
        out.push(next);
        onText(tok.decode(out)); // the controller aborts the signal once the post-processor has cut the text
      }
    },
  };
}
