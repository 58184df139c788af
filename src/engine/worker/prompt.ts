// Builds the token ids of a prompt within a token budget:
//   plain:  the last tokens of the text
//   FIM, in the order the model was trained (config.json "fim_order"):
//     PSM:  <fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>  (StarCoder / Qwen2.5-Coder, the default)
//     SPM:  <fim_prefix><fim_suffix>{suffix}<fim_middle>{prefix}  (the FIM paper's SPM variant; spark-nano)
//   chat:   the model's chat template over the messages, ending with the assistant's turn; never
//           cut (a cut would drop the system turn or the template's framing): over budget is an error
// keeping the prefix tokens nearest the cursor (its end) and the suffix tokens nearest the cursor
// (its start).
//
// Why the window moves in steps: the KV cache reuses the longest common token prefix between
// requests. If the kept prefix slid by one token per keystroke, every keystroke would change the
// first prompt token and re-prefill everything. So when text must be dropped, the start of the
// window advances in steps of a quarter of the budget, and typing at the cursor changes only the
// tokens near it. The character cut before tokenizing is snapped the same way, for the same reason.
// SPM suits the cache best: the cursor is at the prompt's end, so typing changes only the last tokens
// while the suffix is unchanged; in PSM every keystroke re-prefills the whole suffix after the prefix.
import type { FimOrder } from '../../model/config.ts';
import type { ModelTokenizer } from '../../model/tokenizer.ts';
import type { LoadedChatTemplate } from './chat-template.ts';
import type { PromptSpec } from '../api/protocol.ts';

export type PromptTokenizer = Pick<ModelTokenizer, 'encode' | 'specials'>;

export interface PromptBudget {
  /** Most tokens in the prompt, special tokens included. */
  maxPromptTokens: number;
  /**
   * FIM: the share of the budget reserved for the suffix when both sides are long (default 0.25);
   * in PSM order the suffix also gets whatever room the prefix's stepped window leaves unused.
   */
  suffixShare?: number;
}

/** What the prompt's layout depends on in the loaded model. */
export interface PromptModel {
  /** The model's chat template (needed for 'chat' prompts only). */
  chat?: LoadedChatTemplate;
  /** The FIM order the model was trained with (default 'psm'). */
  fimOrder?: FimOrder;
}

export interface BuiltPrompt {
  ids: number[];
  /** Tokens of prefix (or plain text) kept, and dropped from its far end. */
  prefixTokens: number;
  droppedPrefixTokens: number;
  suffixTokens: number;
  droppedSuffixTokens: number;
}

/** Generous upper bound on characters per token, to avoid tokenizing a whole huge file. */
const MAX_CHARS_PER_TOKEN = 16;
const CHAR_CUT_STEP = 4096;

export function buildPrompt(tokenizer: PromptTokenizer, spec: PromptSpec, budget: PromptBudget, model: PromptModel = {}): BuiltPrompt {
  const { chat } = model;
  if (!Number.isInteger(budget.maxPromptTokens) || budget.maxPromptTokens < 4) {
    throw new Error(`prompt: maxPromptTokens must be an integer >= 4, got ${budget.maxPromptTokens}`);
  }
  switch (spec.kind) {
    case 'ids': {
      const ids = keepTail(spec.ids, budget.maxPromptTokens);
      return { ids, prefixTokens: ids.length, droppedPrefixTokens: spec.ids.length - ids.length, suffixTokens: 0, droppedSuffixTokens: 0 };
    }
    case 'plain': {
      const { ids, dropped } = tailTokens(tokenizer, spec.text, budget.maxPromptTokens);
      return { ids, prefixTokens: ids.length, droppedPrefixTokens: dropped, suffixTokens: 0, droppedSuffixTokens: 0 };
    }
    case 'fim':
      return buildFim(tokenizer, spec.prefix, spec.suffix, budget, model.fimOrder ?? 'psm');
    case 'chat': {
      if (!chat) throw new Error('prompt: this model has no chat template (tokenizer_config.json chat_template), so it cannot take chat prompts');
      if (!chat.ok) throw new Error(`prompt: ${chat.error}`);
      // The template writes special tokens as text; encode() matches them as the tokens. BOS is
      // whatever the template writes (bos_token), since encode() adds none.
      const ids = tokenizer.encode(chat.template.render(spec.messages));
      if (ids.length > budget.maxPromptTokens) {
        throw new Error(`prompt: the chat prompt is ${ids.length} tokens, over its budget of ${budget.maxPromptTokens}; select less code`);
      }
      return { ids, prefixTokens: ids.length, droppedPrefixTokens: 0, suffixTokens: 0, droppedSuffixTokens: 0 };
    }
  }
}

function buildFim(tokenizer: PromptTokenizer, prefix: string, suffix: string, budget: PromptBudget, order: FimOrder): BuiltPrompt {
  const { fimPrefix, fimSuffix, fimMiddle } = tokenizer.specials;
  if (fimPrefix === undefined || fimSuffix === undefined || fimMiddle === undefined) {
    throw new Error('prompt: this tokenizer has no <fim_prefix>/<fim_suffix>/<fim_middle> tokens, so it cannot fill in the middle');
  }
  const available = budget.maxPromptTokens - 3;
  // The suffix gets its share (or less if short); the prefix gets everything else.
  const suffixCap = Math.max(0, Math.floor(available * (budget.suffixShare ?? 0.25)));
  const suffixAll = headTokens(tokenizer, suffix, available);
  const prefixPart = tailTokens(tokenizer, prefix, available - Math.min(suffixAll.length, suffixCap));
  // PSM: the suffix also takes whatever the prefix's stepped window leaves unused. SPM: never, since
  // that room changes with every keystroke and the suffix comes first: its length must stay put.
  const suffixIds = suffixAll.slice(0, order === 'spm' ? suffixCap : available - prefixPart.ids.length);
  return {
    ids: order === 'spm'
      ? [fimPrefix, fimSuffix, ...suffixIds, fimMiddle, ...prefixPart.ids]
      : [fimPrefix, ...prefixPart.ids, fimSuffix, ...suffixIds, fimMiddle],
    prefixTokens: prefixPart.ids.length,
    droppedPrefixTokens: prefixPart.dropped,
    suffixTokens: suffixIds.length,
    droppedSuffixTokens: suffixAll.length - suffixIds.length, // at least this many: only `available` were tokenized
  };
}

/** The tokens at the end of `text`, at most `max`, with a start that moves in coarse steps. */
function tailTokens(tokenizer: PromptTokenizer, text: string, max: number): { ids: number[]; dropped: number } {
  if (max <= 0) return { ids: [], dropped: text.length > 0 ? tokenizer.encode(text).length : 0 };
  const charBudget = max * MAX_CHARS_PER_TOKEN;
  // Cut characters only at multiples of CHAR_CUT_STEP from the start, so the cut is stable while typing.
  let cut = text.length > charBudget ? Math.floor((text.length - charBudget) / CHAR_CUT_STEP) * CHAR_CUT_STEP : 0;
  if (cut > 0 && isLowSurrogate(text.charCodeAt(cut))) cut++; // never split a surrogate pair
  const all = tokenizer.encode(text.slice(cut));
  const ids = keepTail(all, max);
  // Tokens dropped by the character cut are not counted exactly (that would need the tokenization
  // we are avoiding); estimate them from the characters.
  const estimatedCutTokens = cut > 0 ? Math.ceil(cut / MAX_CHARS_PER_TOKEN) : 0;
  return { ids, dropped: all.length - ids.length + estimatedCutTokens };
}

/** The first `max` tokens of `text` (the suffix nearest the cursor). */
function headTokens(tokenizer: PromptTokenizer, text: string, max: number): number[] {
  if (max <= 0 || text.length === 0) return [];
  let end = Math.min(text.length, max * MAX_CHARS_PER_TOKEN);
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end++;
  return tokenizer.encode(text.slice(0, end)).slice(0, max);
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The last `max` ids, dropping from the front in steps of max/4 so the first kept id is stable. */
function keepTail(ids: readonly number[], max: number): number[] {
  if (ids.length <= max) return [...ids];
  const step = Math.max(1, Math.floor(max / 4));
  const over = ids.length - max;
  const start = Math.ceil(over / step) * step;
  return ids.slice(start);
}
