// Chat templates are code from the model's files: a looping one must fail in well under a second
// with a clear error (issue 13: one blocked the worker for 25 s), and real templates must render
// exactly as @huggingface/jinja's own Template.render does.
import { Template } from '@huggingface/jinja';
import { afterEach, describe, expect, it } from 'vitest';
import { MODEL_LIMITS } from '../../model/limits.ts';
import type { ChatMessage } from '../api/protocol.ts';
import { loadChatTemplate } from './chat-template.ts';
import { LLAMA32, QWEN25, SMOLLM2 } from '../../testing/chat-templates.ts';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { withJson } from '../../testing/model-edits.ts';
import { makeTestModelFiles } from '../../testing/test-model.ts';
import { EngineClient } from '../api/client.ts';

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Rewrite the code.' },
  { role: 'user', content: 'Instruction: rename x\n\n```python\nx = 1\n```' },
  { role: 'assistant', content: '```python\ny = 1\n```' },
  { role: 'user', content: 'Now call it z.' },
];

const compile = async (chat_template: string) => {
  const loaded = await loadChatTemplate({ chat_template, bos_token: '<|begin_of_text|>', eos_token: '<|im_end|>' });
  if (!loaded?.ok) throw new Error(`expected a template, got ${JSON.stringify(loaded)}`);
  return loaded.template;
};

/** The render's error message and how long it took to fail. */
async function failure(template: string): Promise<{ message: string; ms: number }> {
  const t = await compile(template);
  const start = performance.now();
  try {
    t.render(MESSAGES);
  } catch (err) {
    return { message: (err as Error).message, ms: performance.now() - start };
  }
  throw new Error('expected the render to fail');
}

describe('chat template bounds', () => {
  it.each([
    ['nested loops of 4000 × 4000', '{% for a in range(4000) %}{% for b in range(4000) %}x{% endfor %}{% endfor %}',
      /^the chat template took more than (100000 steps|250 ms) to render/],
    ['nested loops with empty bodies', '{% for a in range(4000) %}{% for b in range(4000) %}{% endfor %}{% endfor %}', /^the chat template took more than (100000 steps|250 ms) to render/],
    ['range(10^9)', '{% for a in range(1000000000) %}x{% endfor %}', /^the chat template asked for range\(\) of 1000000000 items, more than 4096/],
    ['a string doubled in a loop', "{% set ns = namespace(s='ab') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}", /^the chat template built a string of \d+ characters, more than 8388608/],
    ['indent(4e8)', "{{ 'a\\nb' | indent(400000000) }}", /^the chat template asked a filter for a width of 400000000, more than 8388608/],
    ['tojson(indent=4e8)', '{{ messages | tojson(indent=400000000) }}', /^the chat template asked a filter for a width of 400000000, more than 8388608/],
    ['a list doubled in a loop', '{% set ns = namespace(l=[1, 2]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l | length }}', /^the chat template built a list of \d+ items, more than 4096/],
    ['a loop of macro calls that loop', '{% macro f() %}{% for b in range(4000) %}{{ b }}{% endfor %}{% endmacro %}{% for a in range(4000) %}{{ f() }}{% endfor %}', /^the chat template (took more than (100000 steps|250 ms)|built a string)/],
  ])('%s fails in well under a second with a clear error', async (_label, template, expected) => {
    const { message, ms } = await failure(template);
    expect(message).toMatch(expected);
    expect(ms).toBeLessThan(MODEL_LIMITS.templateMs + 250);
  });

  it.each([['Qwen2.5', QWEN25], ['Llama 3.2', LLAMA32], ['SmolLM2', SMOLLM2]])('%s renders exactly as Template.render does', async (_label, source) => {
    const ours = (await compile(source)).render(MESSAGES);
    const theirs = new Template(source).render({
      bos_token: '<|begin_of_text|>', eos_token: '<|im_end|>', messages: MESSAGES.map((m) => ({ ...m })), add_generation_prompt: true,
    });
    expect(ours).toBe(theirs);
    expect(ours.length).toBeGreaterThan(100);
  });

  it('a real template far under the bounds: its render time is measured', async () => {
    const t = await compile(QWEN25);
    const long: ChatMessage[] = Array.from({ length: 200 }, (_, i) => ({ role: i % 2 ? 'assistant' : 'user', content: `turn ${i}: ${'code '.repeat(50)}` }));
    const start = performance.now();
    const out = t.render(long);
    const ms = performance.now() - start;
    expect(out).toContain('turn 199');
    expect(ms).toBeLessThan(MODEL_LIMITS.templateMs);
  });
});

describe('a looping chat template in the engine', () => {
  const clients: EngineClient[] = [];
  afterEach(() => { for (const c of clients.splice(0)) c.dispose(); });

  it('fails that chat request quickly and leaves the worker serving the next one', async () => {
    const files = withJson(makeTestModelFiles(), 'tokenizer_config.json', (c) => ({
      ...c, chat_template: '{% for a in range(4000) %}{% for b in range(4000) %}{{ a }}{% endfor %}{% endfor %}',
    }));
    const client = new EngineClient(new InProcessWorker({ hasWebGpu: false }));
    clients.push(client);
    await client.load('test://looping', { files, backend: 'cpu' });
    const start = performance.now();
    await expect(client.generate({ prompt: { kind: 'chat', messages: MESSAGES }, maxNewTokens: 2 }).done).rejects.toThrow(/^the chat template took more than/);
    expect(performance.now() - start).toBeLessThan(MODEL_LIMITS.templateMs + 500);
    const plain = await client.generate({ prompt: { kind: 'plain', text: 'def f(' }, maxNewTokens: 2 }).done;
    expect(plain.finishReason).not.toBe('cancelled');
  });
});
