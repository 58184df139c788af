// An instruct GGUF carries its chat template in its metadata (tokenizer.chat_template), not in a
// tokenizer_config.json: the worker must find it there, so Edit sends chat prompts to such a model.
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessWorker } from '../../testing/fake-worker.ts';
import { makeTestGguf } from '../../testing/gguf-test-model.ts';
import { gv } from '../../testing/gguf-writer.ts';
import { DisposableStore } from '../../util/disposable.ts';
import { EngineClient } from '../api/client.ts';

const store = new DisposableStore();
afterEach(() => store.clear());

describe('a GGUF with a chat template', () => {
  it('is an instruct model: the ready event says so and chat prompts render', async () => {
    const template = "{% for m in messages %}<|endoftext|>{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}assistant:";
    const withChat = makeTestGguf({ metadata: { 'tokenizer.chat_template': gv.str(template) } });
    const engine = store.add(new EngineClient(new InProcessWorker({ hasWebGpu: false })));
    const ready = await engine.load('m.gguf', { files: { 'm.gguf': withChat.gguf }, backend: 'cpu' });
    expect(ready.chatTemplate).toEqual({});
    const chat = { prompt: { kind: 'chat' as const, messages: [{ role: 'user' as const, content: 'rename x' }] }, maxNewTokens: 4 };
    const done = await engine.generate(chat).done;
    // "<|endoftext|>" in the template is one special token, not its 13 characters' worth.
    expect(done.promptTokenCount).toBeLessThan('<|endoftext|>user: rename x\nassistant:'.length);
    expect(done.promptTokenCount).toBeGreaterThan(5);

    const plain = store.add(new EngineClient(new InProcessWorker({ hasWebGpu: false })));
    const base = await plain.load('m.gguf', { files: { 'm.gguf': makeTestGguf().gguf }, backend: 'cpu' });
    expect(base.chatTemplate).toBeUndefined();
  });
});
