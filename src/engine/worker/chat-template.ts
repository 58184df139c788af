// Instruct models' chat templates: the Jinja `chat_template` of tokenizer_config.json, rendered
// with @huggingface/jinja (the same implementation transformers.js uses). It lives in the worker,
// next to the tokenizer it must agree with: the rendered text spells special tokens
// ("<|im_start|>"), which ModelTokenizer.encode matches as the special tokens themselves.
// Loaded only when a model has a template, so base models never pay for the Jinja parser.

import type { ChatMessage } from '../api/protocol.ts';
import { boundedRenderer, TemplateBoundError } from './template-bounds.ts';

export interface ChatTemplate {
  /** The prompt text for these messages, ending with the assistant's turn (add_generation_prompt). */
  render(messages: readonly ChatMessage[]): string;
}

/** A model's chat template, or why it cannot be used; undefined (elsewhere) for a base model. */
export type LoadedChatTemplate = { ok: true; template: ChatTemplate } | { ok: false; error: string };

type Config = Record<string, unknown>;

/**
 * The template source in a parsed tokenizer_config.json: `chat_template` is a string, or a list of
 * named templates ([{name, template}], the one named "default" is for chat). Undefined when none.
 */
export function chatTemplateSource(config: unknown): string | undefined {
  const raw = (config as Config | null)?.['chat_template'];
  if (typeof raw === 'string') return raw.trim() === '' ? undefined : raw;
  if (Array.isArray(raw)) {
    const named = raw.filter((t): t is { name: unknown; template: string } => typeof (t as Config | null)?.['template'] === 'string');
    return (named.find((t) => t.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}

/** bos_token and friends, as templates expect them: plain strings (the config may give {content}). */
function specialTokenStrings(config: Config): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const v = config[name];
    const content = typeof v === 'string' ? v : (v as Config | null)?.['content'];
    if (typeof content === 'string') out[name] = content;
  }
  return out;
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

/**
 * Compiles the chat template of a parsed tokenizer_config.json. Undefined when it has none; a
 * template that does not parse gives { ok: false, error } rather than failing the model load
 * (completions still work; a chat prompt then fails with that error).
 */
export async function loadChatTemplate(config: unknown): Promise<LoadedChatTemplate | undefined> {
  const source = chatTemplateSource(config);
  if (source === undefined) return undefined;
  const jinja = await import('@huggingface/jinja');
  let template: InstanceType<typeof jinja.Template>;
  try {
    template = new jinja.Template(source);
  } catch (err) {
    return { ok: false, error: `the chat template in tokenizer_config.json does not parse: ${message(err)}` };
  }
  const variables = specialTokenStrings(config as Config);
  const render = boundedRenderer(jinja, template);
  const renderOnce = (messages: readonly ChatMessage[]) => render({
    ...variables, messages: messages.map((m) => ({ ...m })), add_generation_prompt: true,
  });
  return {
    ok: true,
    template: {
      render(messages) {
        try {
          return renderOnce(messages);
        } catch (err) {
          if (err instanceof TemplateBoundError) throw err;
          // Some templates refuse a system turn (Gemma: "System role not supported"); such models
          // are meant to get the system text at the top of the first user turn.
          const folded = foldSystemMessage(messages);
          if (folded) {
            try {
              return renderOnce(folded);
            } catch { /* report the original error below */ }
          }
          throw new Error(`the model's chat template failed to render: ${message(err)}`, { cause: err });
        }
      },
    },
  };
}

/** The messages with a leading system message merged into the first user message, if there is one. */
function foldSystemMessage(messages: readonly ChatMessage[]): ChatMessage[] | undefined {
  const [first, second, ...rest] = messages;
  if (first?.role !== 'system' || second?.role !== 'user') return undefined;
  return [{ role: 'user', content: `${first.content}\n\n${second.content}` }, ...rest];
}
