import { afterEach, describe, expect, it } from 'vitest';
import { makeTestModelFiles } from '../../testing/test-model.ts';
import { buildTestTokenizer } from '../../testing/test-tokenizer.ts';
import { ModelTokenizer } from '../../model/tokenizer.ts';
import { DisposableStore } from '../../util/disposable.ts';
import { chatTemplateSource, loadChatTemplate } from './chat-template.ts';
import { EngineClient } from '../api/client.ts';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { buildPrompt } from './prompt.ts';
import type { ChatMessage } from '../api/protocol.ts';

/** Qwen2's ChatML template, as in its tokenizer_config.json. */
const CHATML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}";
/** Meta-Llama-3-8B-Instruct's template: bos_token, headers, `| trim`. */
const LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}{% endif %}";
/** Gemma's: no system role (raise_exception), user/model turns. */
const GEMMA = "{{ bos_token }}{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if (message['role'] == 'assistant') %}{% set role = 'model' %}{% else %}{% set role = message['role'] %}{% endif %}{{ '<start_of_turn>' + role + '\n' + message['content'] | trim + '<end_of_turn>\n' }}{% endfor %}{% if add_generation_prompt %}{{'<start_of_turn>model\n'}}{% endif %}";

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Rewrite the code.' },
  { role: 'user', content: 'Instruction: rename x\n\n```python\nx = 1\n```' },
];

const compiled = async (config: Record<string, unknown>) => {
  const loaded = await loadChatTemplate(config);
  if (!loaded?.ok) throw new Error(`expected a template, got ${JSON.stringify(loaded)}`);
  return loaded.template;
};

describe('chat templates', () => {
  it('renders Qwen2 ChatML with the generation prompt', async () => {
    const t = await compiled({ chat_template: CHATML, eos_token: '<|im_end|>' });
    expect(t.render(MESSAGES)).toBe(
      '<|im_start|>system\nRewrite the code.<|im_end|>\n'
      + '<|im_start|>user\nInstruction: rename x\n\n```python\nx = 1\n```<|im_end|>\n'
      + '<|im_start|>assistant\n');
  });

  it('renders Llama 3 with bos_token from the config (string or {content})', async () => {
    const expected = '<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nRewrite the code.<|eot_id|>'
      + '<|start_header_id|>user<|end_header_id|>\n\nInstruction: rename x\n\n```python\nx = 1\n```<|eot_id|>'
      + '<|start_header_id|>assistant<|end_header_id|>\n\n';
    expect((await compiled({ chat_template: LLAMA3, bos_token: '<|begin_of_text|>' })).render(MESSAGES)).toBe(expected);
    expect((await compiled({ chat_template: LLAMA3, bos_token: { content: '<|begin_of_text|>', special: true } })).render(MESSAGES)).toBe(expected);
  });

  it('folds the system message into the user turn for templates without a system role', async () => {
    const t = await compiled({ chat_template: GEMMA, bos_token: '<bos>' });
    expect(t.render(MESSAGES)).toBe(
      '<bos><start_of_turn>user\nRewrite the code.\n\nInstruction: rename x\n\n```python\nx = 1\n```<end_of_turn>\n<start_of_turn>model\n');
  });

  it('finds the template: a string, or the "default" of a named list; none for a base model', () => {
    expect(chatTemplateSource({ chat_template: CHATML })).toBe(CHATML);
    expect(chatTemplateSource({ chat_template: [{ name: 'tool_use', template: 'T' }, { name: 'default', template: 'D' }] })).toBe('D');
    expect(chatTemplateSource({ chat_template: [{ name: 'rag', template: 'R' }] })).toBe('R');
    expect(chatTemplateSource({ eos_token: '<|endoftext|>' })).toBeUndefined();
    expect(chatTemplateSource({ chat_template: '  ' })).toBeUndefined();
    expect(chatTemplateSource(undefined)).toBeUndefined();
  });

  it('a template that does not parse is reported, not thrown', async () => {
    const loaded = await loadChatTemplate({ chat_template: '{% for message in messages %}{{ message.content }}' });
    expect(loaded).toMatchObject({ ok: false });
    expect((loaded as { error: string }).error).toMatch(/chat template in tokenizer_config\.json does not parse/);
  });

  it('a template that fails to render throws a clear error', async () => {
    const t = await compiled({ chat_template: "{{ raise_exception('Only user and assistant roles are supported!') }}" });
    expect(() => t.render(MESSAGES)).toThrow(/chat template failed to render: Only user and assistant roles are supported!/);
  });
});

describe('buildPrompt: chat', () => {
  // The test tokenizer plus ChatML's and Llama 3's special tokens, as an instruct checkpoint has them.
  const files = buildTestTokenizer();
  const json = structuredClone(files.tokenizerJson) as { added_tokens: Record<string, unknown>[] };
  const extra = ['<|im_start|>', '<|im_end|>', '<|begin_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'];
  extra.forEach((content, i) => json.added_tokens.push({
    id: files.vocabSize + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const tok = ModelTokenizer.fromJson(json, files.tokenizerConfigJson);
  const id = (content: string) => tok.tokenId(content)!;

  it('ChatML: the template text, its markers encoded as the special tokens, ending in the assistant turn', async () => {
    const chat = await loadChatTemplate({ chat_template: CHATML });
    const p = buildPrompt(tok, { kind: 'chat', messages: MESSAGES }, { maxPromptTokens: 1024 }, { chat });
    expect(tok.decode(p.ids)).toBe(chat?.ok && chat.template.render(MESSAGES));
    expect(p.ids[0]).toBe(id('<|im_start|>'));
    expect(p.ids.filter((t) => t === id('<|im_start|>'))).toHaveLength(3);
    expect(p.ids.filter((t) => t === id('<|im_end|>'))).toHaveLength(2);
    expect(tok.decode(p.ids.slice(p.ids.lastIndexOf(id('<|im_start|>'))))).toBe('<|im_start|>assistant\n');
    expect(p.droppedPrefixTokens).toBe(0);
  });

  it('Llama 3: starts with BOS exactly once (the template writes it; encode adds none)', async () => {
    const chat = await loadChatTemplate({ chat_template: LLAMA3, bos_token: '<|begin_of_text|>' });
    const p = buildPrompt(tok, { kind: 'chat', messages: MESSAGES }, { maxPromptTokens: 1024 }, { chat });
    expect(p.ids[0]).toBe(id('<|begin_of_text|>'));
    expect(p.ids.filter((t) => t === id('<|begin_of_text|>'))).toHaveLength(1);
    expect(p.ids.filter((t) => t === id('<|eot_id|>'))).toHaveLength(2);
    expect(p.ids.at(-1)).not.toBe(id('<|eot_id|>'));
  });

  it('is never cut: over budget is an error naming the sizes', async () => {
    const chat = await loadChatTemplate({ chat_template: CHATML });
    expect(() => buildPrompt(tok, { kind: 'chat', messages: MESSAGES }, { maxPromptTokens: 8 }, { chat })).toThrow(/chat prompt is \d+ tokens, over its budget of 8/);
  });

  it('without a usable template: a clear error', () => {
    expect(() => buildPrompt(tok, { kind: 'chat', messages: MESSAGES }, { maxPromptTokens: 64 })).toThrow(/no chat template/);
    expect(() => buildPrompt(tok, { kind: 'chat', messages: MESSAGES }, { maxPromptTokens: 64 }, { chat: { ok: false, error: 'bad {%' } }))
      .toThrow(/bad \{%/);
  });
});

describe('chat prompts through the engine (in-process worker, CPU backend)', () => {
  const store = new DisposableStore();
  afterEach(() => store.clear());

  const load = async (tokenizerConfig: Record<string, unknown> | undefined) => {
    const files = makeTestModelFiles();
    const base = JSON.parse(new TextDecoder().decode(files['tokenizer_config.json'])) as Record<string, unknown>;
    if (tokenizerConfig) files['tokenizer_config.json'] = new TextEncoder().encode(JSON.stringify({ ...base, ...tokenizerConfig }));
    const client = store.add(new EngineClient(new InProcessWorker({ hasWebGpu: false })));
    return { client, ready: await client.load('test://chat', { files, backend: 'cpu' }) };
  };

  it('an instruct model says so when ready, and a chat prompt is the rendered template', async () => {
    const { client, ready } = await load({ chat_template: CHATML });
    expect(ready.chatTemplate).toEqual({});
    const done = await client.generate({ prompt: { kind: 'chat', messages: MESSAGES }, maxNewTokens: 4 }).done;
    const tokenizer = ModelTokenizer.fromJson(buildTestTokenizer().tokenizerJson);
    const rendered = (await compiled({ chat_template: CHATML })).render(MESSAGES);
    expect(done.promptTokenCount).toBe(tokenizer.encode(rendered).length);
    expect(done.finishReason).not.toBe('cancelled');
  });

  it('a base model has no chatTemplate, and a chat prompt fails clearly', async () => {
    const { client, ready } = await load(undefined);
    expect(ready.chatTemplate).toBeUndefined();
    await expect(client.generate({ prompt: { kind: 'chat', messages: MESSAGES }, maxNewTokens: 4 }).done).rejects.toThrow(/no chat template/);
  });

  it('a broken template still loads the model (completions work) and chat prompts fail with why', async () => {
    const { client, ready } = await load({ chat_template: '{% if %}' });
    expect(ready.chatTemplate?.error).toMatch(/does not parse/);
    await expect(client.generate({ prompt: { kind: 'chat', messages: MESSAGES }, maxNewTokens: 4 }).done).rejects.toThrow(/does not parse/);
    const plain = await client.generate({ prompt: { kind: 'plain', text: 'def f(' }, maxNewTokens: 2 }).done;
    expect(plain.finishReason).not.toBe('cancelled');
  });
});

