// Builds the token ids of a prompt within a token budget:
//   plain:  the last tokens of the text
//   FIM, in the order the model was trained (config.json "fim_order"):
//     PSM:  <fim_prefix>{prefix}<fim_suffix>{suffix}<fim_middle>  (StarCoder / Qwen2.5-Coder, the default)
//     SPM:  <fim_prefix><fim_suffix>{suffix}<fim_middle>{prefix}  (the FIM paper's SPM variant; spark-nano)
//   chat:   the model's chat template over the messages, ending with the assistant's turn; never
//           cut (a cut would drop the system turn or the template's framing): over budget is an error
// keeping the prefix tokens nearest the cursor (its end) and the suffix tokens nearest the cursor
// (its start). Plain and FIM prompts start with BOS where the model's tokenizer adds one (Llama 3,
// DeepSeek-Coder): it counts in the budget and stays first, so it never breaks the cache's prefix.
//
// Why the window moves in steps: the KV cache reuses the longest common token prefix between
// requests. If the kept prefix slid by one token per keystroke, every keystroke would change the
// first prompt token and re-prefill everything. So when text must be dropped, the start of the
// window advances in steps of a quarter of the budget, and typing at the cursor changes only the
// tokens near it. The character cut before tokenizing is snapped the same way, for the same reason.
// A step still re-prefills everything after the start once (in SPM, the whole prefix: about 200 ms
// on a CPU). So where the caller says what the cache holds, a prefix whose start has just stepped
// keeps its earlier start, one step over the budget, when that reuses more of the cache; the
// stepped prompt comes back as `recut`, for the engine to prefill while the user is not typing.
// SPM suits the cache best: the cursor is at the prompt's end, so typing changes only the last tokens
// while the suffix is unchanged; in PSM every keystroke re-prefills the whole suffix after the prefix.
//
// Only this builder puts control tokens in a prompt. Text the user typed (the document, chat messages)
// may spell one ("<fim_middle>", "<|endoftext|>"), and the tokenizer's encode() would match it as
// the token itself, letting a document steer the model. So user text is cut at those spellings:
// the text between them is encoded as usual (text without them tokenizes exactly as before), and
// each spelling is encoded as plain characters.
import type { FimOrder } from '../../model/config.ts';
import type { ModelTokenizer } from '../../model/tokenizer.ts';
import type { ChatTemplate, LoadedChatTemplate } from './chat-template.ts';
import type { ChatMessage, PromptSpec } from '../api/protocol.ts';
import { commonPrefixLength } from '../backends/token-loop.ts';

export type PromptTokenizer = Pick<ModelTokenizer, 'encode' | 'specials' | 'tokenString'>;

export interface PromptBudget {
  /** Most tokens in the prompt, special tokens included. */
  maxPromptTokens: number;
  /**
   * FIM: the share of the budget reserved for the suffix when both sides are long (default 0.25);
   * in PSM order the suffix also gets whatever room the prefix's stepped window leaves unused.
   */
  suffixShare?: number;
  /**
   * Plain and FIM prompts: the ids the KV cache holds, and the most tokens the prompt may have (the
   * context's room). A prefix whose stepped start has just moved keeps the earlier one, up to one
   * step over maxPromptTokens, where that reuses more of these ids.
   */
  cache?: { ids: readonly number[]; maxTokens: number };
}

/** What the prompt's layout depends on in the loaded model. */
export interface PromptModel {
  /** The model's chat template (needed for 'chat' prompts only). */
  chat?: LoadedChatTemplate;
  /** The FIM order the model was trained with (default 'psm'). */
  fimOrder?: FimOrder;
  /** A BOS id to start plain and FIM prompts with (ModelTokenizer.promptBos); a chat template writes its own. */
  bos?: number;
}

export interface BuiltPrompt {
  ids: number[];
  /** Tokens of prefix (or plain text) kept, and dropped from its far end. */
  prefixTokens: number;
  droppedPrefixTokens: number;
  suffixTokens: number;
  droppedSuffixTokens: number;
  /**
   * FIM only: the document's tokens the prompt holds, the suffix then the prefix, so that prompt
   * lookup (which continues the last tokens) finds the text before the cursor repeated anywhere.
   */
  lookupIds?: number[];
  /** FIM and plain prompts: the index in `ids` just past the prefix's last token (where token healing cuts). */
  prefixEnd?: number;
  /** The prompt with its window's own start, where `ids` kept an earlier one to reuse the cache. */
  recut?: number[];
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
      const lead = model.bos !== undefined ? [model.bos] : [];
      return withCache(tailTokens(asText(tokenizer, [spec.text]), spec.text, budget.maxPromptTokens - lead.length), budget, ({ ids, dropped }) => (
        { ids: [...lead, ...ids], prefixTokens: ids.length, droppedPrefixTokens: dropped, suffixTokens: 0, droppedSuffixTokens: 0, prefixEnd: lead.length + ids.length }));
    }
    case 'fim':
      return buildFim(tokenizer, asText(tokenizer, [spec.prefix, spec.suffix]), spec.prefix, spec.suffix, budget, model);
    case 'chat': {
      if (!chat) throw new Error('prompt: this model has no chat template (tokenizer_config.json chat_template), so it cannot take chat prompts');
      if (!chat.ok) throw new Error(`prompt: ${chat.error}`);
      // The template writes special tokens as text; encode() matches them as the tokens. BOS is
      // whatever the template writes (bos_token), since encode() adds none.
      const ids = chatIds(tokenizer, chat.template, spec.messages);
      if (ids.length > budget.maxPromptTokens) {
        throw new Error(`prompt: the chat prompt is ${ids.length} tokens, over its budget of ${budget.maxPromptTokens}; select less code`);
      }
      return { ids, prefixTokens: ids.length, droppedPrefixTokens: 0, suffixTokens: 0, droppedSuffixTokens: 0 };
    }
  }
}

function buildFim(tokenizer: PromptTokenizer, text: UserText, prefix: string, suffix: string, budget: PromptBudget, model: PromptModel): BuiltPrompt {
  const { fimPrefix, fimSuffix, fimMiddle } = tokenizer.specials;
  if (fimPrefix === undefined || fimSuffix === undefined || fimMiddle === undefined) {
    throw new Error('prompt: this tokenizer has no <fim_prefix>/<fim_suffix>/<fim_middle> tokens, so it cannot fill in the middle');
  }
  const order = model.fimOrder ?? 'psm';
  const lead = model.bos !== undefined ? [model.bos] : [];
  const available = budget.maxPromptTokens - 3 - lead.length;
  // The suffix gets its share (or less if short); the prefix gets everything else.
  const suffixCap = Math.max(0, Math.floor(available * (budget.suffixShare ?? 0.25)));
  const suffixAll = headTokens(text, suffix, available);
  const tail = tailTokens(text, prefix, available - Math.min(suffixAll.length, suffixCap));
  return withCache(tail, budget, (prefixPart) => {
    // PSM: the suffix also takes whatever the prefix's stepped window leaves unused. SPM: never, since
    // that room changes with every keystroke and the suffix comes first: its length must stay put.
    const suffixIds = suffixAll.slice(0, order === 'spm' ? suffixCap : Math.max(0, available - prefixPart.ids.length));
    return {
      ids: order === 'spm'
        ? [...lead, fimPrefix, fimSuffix, ...suffixIds, fimMiddle, ...prefixPart.ids]
        : [...lead, fimPrefix, ...prefixPart.ids, fimSuffix, ...suffixIds, fimMiddle],
      prefixTokens: prefixPart.ids.length,
      droppedPrefixTokens: prefixPart.dropped,
      suffixTokens: suffixIds.length,
      droppedSuffixTokens: suffixAll.length - suffixIds.length, // at least this many: only `available` were tokenized
      lookupIds: [...suffixIds, ...prefixPart.ids],
      prefixEnd: order === 'spm' ? lead.length + 3 + suffixIds.length + prefixPart.ids.length : lead.length + 1 + prefixPart.ids.length,
    };
  });
}

/** The tokens at the end of a text, and where its window starts in them: a multiple of `step`. */
interface Tail {
  all: number[];
  start: number;
  /** 0 where there is no room for any of it. */
  step: number;
  /** Tokens before `all`, cut as characters (estimated). */
  cutTokens: number;
}

type Kept = { ids: number[]; dropped: number };
const keptFrom = (tail: Tail, start: number): Kept => ({ ids: tail.all.slice(start), dropped: start + tail.cutTokens });

/**
 * The prompt composed from the tail's own window or, where the cache holds the window one step
 * earlier (a step just crossed), from that one, if it fits the context (see the header).
 */
function withCache(tail: Tail, budget: PromptBudget, compose: (kept: Kept) => BuiltPrompt): BuiltPrompt {
  const stepped = compose(keptFrom(tail, tail.start));
  const { cache } = budget;
  if (!cache || tail.step === 0 || tail.start < tail.step) return stepped;
  const earlier = compose(keptFrom(tail, tail.start - tail.step));
  if (earlier.ids.length > cache.maxTokens) return stepped;
  return commonPrefixLength(cache.ids, earlier.ids) > commonPrefixLength(cache.ids, stepped.ids) ? { ...earlier, recut: stepped.ids } : stepped;
}

/** The tokens at the end of `text`, at most `max` from the tail's start, which moves in coarse steps. */
function tailTokens(encoder: UserText, text: string, max: number): Tail {
  if (max <= 0) {
    const all = text.length > 0 ? encoder.encode(text) : [];
    return { all, start: all.length, step: 0, cutTokens: 0 };
  }
  const charBudget = max * MAX_CHARS_PER_TOKEN;
  // Cut characters only at multiples of CHAR_CUT_STEP from the start, so the cut is stable while typing.
  let cut = text.length > charBudget ? Math.floor((text.length - charBudget) / CHAR_CUT_STEP) * CHAR_CUT_STEP : 0;
  if (cut > 0 && isLowSurrogate(text.charCodeAt(cut))) cut++; // never split a surrogate pair
  const all = encoder.encode(text.slice(cut));
  // Tokens dropped by the character cut are not counted exactly (that would need the tokenization
  // we are avoiding); estimate them from the characters.
  return { all, ...tailWindow(all.length, max), cutTokens: cut > 0 ? Math.ceil(cut / MAX_CHARS_PER_TOKEN) : 0 };
}

/** The first `max` tokens of `text` (the suffix nearest the cursor). */
function headTokens(encoder: UserText, text: string, max: number): number[] {
  if (max <= 0 || text.length === 0) return [];
  let end = Math.min(text.length, max * MAX_CHARS_PER_TOKEN);
  if (end < text.length && isLowSurrogate(text.charCodeAt(end))) end++;
  return encoder.encode(text.slice(0, end)).slice(0, max);
}

const isLowSurrogate = (code: number) => code >= 0xdc00 && code <= 0xdfff;

/** The last `max` ids, dropping from the front in steps of max/4 so the first kept id is stable. */
function keepTail(ids: readonly number[], max: number): number[] {
  return ids.slice(tailWindow(ids.length, max).start);
}

/** Where the last `max` of `length` ids start, moved in steps of max/4 so the start is stable. */
function tailWindow(length: number, max: number): { start: number; step: number } {
  const step = Math.max(1, Math.floor(max / 4));
  return { start: length <= max ? 0 : Math.ceil((length - max) / step) * step, step };
}

/** Encodes text the user typed: control-token spellings in it become plain text (see asText). */
interface UserText {
  encode(text: string): number[];
  /** True when `text` spells a control token (so its plain encode() would hold one). */
  spellsControl(text: string): boolean;
}

/**
 * The control tokens whose spelling must not be matched in user text: every special token, the
 * named FIM/document tokens (Qwen2.5-Coder marks its FIM tokens special: false), and any
 * "<|name|>" in the texts that the tokenizer matches as one token (an added token, special or not).
 * One-character tokens are left out: they have no other spelling.
 */
function controlSpellings(tokenizer: PromptTokenizer, texts: readonly string[]): Map<string, number> {
  const { all, fimPrefix, fimSuffix, fimMiddle, endOfText, fileSep, eos, bos } = tokenizer.specials;
  const spellings = new Map<string, number>();
  for (const id of [...all, fimPrefix, fimSuffix, fimMiddle, endOfText, fileSep, eos, bos]) {
    const spelling = id === undefined ? undefined : tokenizer.tokenString(id);
    if (spelling !== undefined && [...spelling].length > 1) spellings.set(spelling, id!);
  }
  const tried = new Set<string>();
  for (const text of texts) {
    for (const [candidate] of text.matchAll(/<\|[^\s<>|]{1,40}\|>/g)) {
      if (spellings.has(candidate) || tried.has(candidate)) continue;
      tried.add(candidate);
      const ids = tokenizer.encode(candidate);
      if (ids.length === 1) spellings.set(candidate, ids[0]!);
    }
  }
  return spellings;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The encoder for user text; `texts` are the texts it will be given (to find "<|name|>" tokens in). */
function asText(tokenizer: PromptTokenizer, texts: readonly string[]): UserText {
  const spellings = controlSpellings(tokenizer, texts);
  if (spellings.size === 0) return { encode: (text) => tokenizer.encode(text), spellsControl: () => false };
  // Longest first, so that a spelling containing another is cut whole.
  const pattern = new RegExp([...spellings.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'g');
  const controlIds = new Set(spellings.values());
  // A tokenizer that normalizes text before matching added tokens could still find one: refuse
  // rather than send the model a control token the user typed.
  const checked = (ids: number[]): number[] => {
    if (ids.some((id) => controlIds.has(id))) throw new Error('prompt: the text holds special-token text that this tokenizer cannot encode as plain text');
    return ids;
  };
  const spellsControl = (text: string) => text.search(pattern) >= 0;
  const encode = (text: string): number[] => {
    if (!spellsControl(text)) return checked(tokenizer.encode(text));
    const ids: number[] = [];
    let last = 0;
    for (const match of text.matchAll(pattern)) {
      ids.push(...tokenizer.encode(text.slice(last, match.index)));
      // Its first character alone, then the rest (which may hold another spelling).
      const first = String.fromCodePoint(match[0].codePointAt(0)!);
      ids.push(...tokenizer.encode(first), ...encode(match[0].slice(first.length)));
      last = match.index + match[0].length;
    }
    ids.push(...tokenizer.encode(text.slice(last)));
    return checked(ids);
  };
  return { encode, spellsControl };
}

/** Marks where each message's content goes in a rendered template (private-use characters). */
const contentMark = (i: number) => `\uE000${i}\uE001`;

/**
 * The chat prompt's ids. When a message spells a control token, the template is rendered with a
 * mark in place of each message; the template's own text around the marks is encoded with its
 * special tokens, and each message as user text.
 */
function chatIds(tokenizer: PromptTokenizer, template: ChatTemplate, messages: readonly ChatMessage[]): number[] {
  const contents = messages.map((m) => m.content);
  const text = asText(tokenizer, contents);
  if (!contents.some((c) => text.spellsControl(c))) return tokenizer.encode(template.render(messages));
  const framed = template.render(messages.map((m, i) => ({ ...m, content: contentMark(i) })));
  const ids: number[] = [];
  const seen = new Set<number>();
  let last = 0;
  for (const match of framed.matchAll(/\uE000(\d+)\uE001/g)) {
    const i = Number(match[1]);
    if (seen.has(i) || i >= contents.length) {
      throw new Error('prompt: a message holds special-token text, and this chat template repeats or changes message text, so it cannot be kept as text');
    }
    seen.add(i);
    ids.push(...tokenizer.encode(framed.slice(last, match.index)), ...text.encode(contents[i]!));
    last = match.index + match[0].length;
  }
  ids.push(...tokenizer.encode(framed.slice(last)));
  return ids;
}
