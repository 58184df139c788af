import { describe, expect, it } from 'vitest';
import { codeFromChatReply, DEFAULT_INSTRUCTION, REWRITE_SYSTEM_PROMPT, rewriteMessages } from './chat-rewrite.ts';

const req = { before: 'import os\n', original: 'def f(x):\n    return x', after: '\n', instruction: 'rename x to value', language: 'python' };

describe('rewriteMessages', () => {
  it('a system message, then the instruction and the window in a fence labelled with the language', () => {
    expect(rewriteMessages(req)).toEqual([
      { role: 'system', content: REWRITE_SYSTEM_PROMPT },
      { role: 'user', content: 'Instruction: rename x to value\n\nCode:\n```python\ndef f(x):\n    return x\n```' },
    ]);
  });

  it('an empty instruction gets the default one; an odd language id is left out', () => {
    const [, user] = rewriteMessages({ ...req, instruction: '  ', language: 'a b' });
    expect(user!.content.startsWith(`Instruction: ${DEFAULT_INSTRUCTION}\n\nCode:\n\`\`\`\n`)).toBe(true);
  });

  it('code containing a fence gets a longer one, so it stays inside', () => {
    const [, user] = rewriteMessages({ ...req, original: 'doc = """\n```js\nx\n```\n"""' });
    expect(user!.content).toContain('````python\ndoc = """');
    expect(user!.content.endsWith('"""\n````')).toBe(true);
  });
});

describe('codeFromChatReply', () => {
  const reply = 'Here you go:\n```python\ndef f(value):\n    return value\n```\nI renamed it.';

  it('final: the first fenced block, prose around it dropped', () => {
    expect(codeFromChatReply(reply, true)).toBe('def f(value):\n    return value');
    expect(codeFromChatReply('```\nx = 1\n```', true)).toBe('x = 1');
    expect(codeFromChatReply('````py\na = "```"\n````', true)).toBe('a = "```"');
  });

  it('final without a fence: the reply, minus trailing newlines', () => {
    expect(codeFromChatReply('def f(value):\n    return value\n\n', true)).toBe('def f(value):\n    return value');
    expect(codeFromChatReply('```py\nx = 1\n', true)).toBe('x = 1'); // never closed (ran out of tokens)
  });

  it('streaming: never shows fence markup, at any cut of the reply', () => {
    const shown: string[] = [];
    for (let i = 0; i <= reply.length; i++) shown.push(codeFromChatReply(reply.slice(0, i), false));
    for (const s of shown.slice(reply.indexOf('```'))) expect(s).not.toMatch(/`/);
    expect(codeFromChatReply('``', false)).toBe('');
    expect(codeFromChatReply('```pyth', false)).toBe('');
    expect(codeFromChatReply('```python\ndef f(', false)).toBe('def f(');
    expect(codeFromChatReply('```python\nx = 1\n``', false)).toBe('x = 1');
    expect(shown.at(-1)).toBe('def f(value):\n    return value');
  });
});
