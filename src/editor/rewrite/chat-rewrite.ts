// Edit (Ctrl/Cmd+K) for instruct models: the request as chat messages (the worker renders them
// with the model's own chat template), and the reply turned back into code. Pure functions, so
// both are tested as strings.

import type { ChatMessage } from '../../engine/index.ts';
import type { RewriteRequest } from './rewrite-session.ts';

/** Ctrl/Cmd+K has no instruction box yet: an instruct model still needs to be asked something. */
export const DEFAULT_INSTRUCTION = 'Improve this code: fix any bugs and make it clearer, keeping its behaviour.';

export const REWRITE_SYSTEM_PROMPT =
  'You are a code editor. Rewrite the code the user gives you according to their instruction. '
  + 'Reply with only the complete rewritten code, in one code block, with no explanation before or after it.';

/** System + user messages for a rewrite: the instruction, then the window in a fenced block. */
export function rewriteMessages(req: RewriteRequest): ChatMessage[] {
  const instruction = req.instruction.trim() || DEFAULT_INSTRUCTION;
  return [
    { role: 'system', content: REWRITE_SYSTEM_PROMPT },
    { role: 'user', content: `Instruction: ${instruction}\n\nCode:\n${fenced(req, [req.original])[0]!}` },
  ];
}

/**
 * Each code in a fenced block as the request's code is sent (its language label; one fence longer
 * than any backtick run in the original and in every code): the reply the system prompt asks for,
 * so a rewrite and the original can be scored alike as replies (Edit's never-worse check).
 */
export function fenced(req: RewriteRequest, codes: readonly string[]): string[] {
  const lang = req.language && /^[\w+#.-]+$/.test(req.language) ? req.language : '';
  const fence = fenceFor([req.original, ...codes].join('\n'));
  return codes.map((code) => `${fence}${lang}\n${code}\n${fence}`);
}

/** A fence longer than any run of backticks in the code, so code containing ``` stays inside it. */
function fenceFor(code: string): string {
  let longest = 0;
  for (const run of code.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return '`'.repeat(Math.max(3, longest + 1));
}

const OPENING_FENCE = /(^|\n)[ \t]*(`{3,})[^\n`]*(\n|$)/;

/**
 * The code in a (possibly still streaming) chat reply: the body of its first fenced block when it
 * has one (prose around it dropped), else the reply itself. While streaming (final false), an
 * opening fence line not yet complete, and a trailing run of backticks that may become the
 * closing fence, are held back so they never flash in the editor as code.
 */
export function codeFromChatReply(reply: string, final: boolean): string {
  const text = reply.replace(/\r\n/g, '\n');
  const open = OPENING_FENCE.exec(text);
  if (!open) {
    if (final) return text.replace(/\n+$/, '');
    // A last line of one or two backticks may be a fence starting: hold it back until it says.
    const partial = /(^|\n)[ \t]*`{1,2}$/.exec(text);
    return partial ? text.slice(0, partial.index) : text;
  }
  if (open[3] === '') return ''; // the opening fence line has not ended yet
  const body = text.slice(open.index + open[0].length);
  const fence = open[2]!;
  const close = new RegExp(`(^|\\n)[ \\t]*${fence}\`*[ \\t]*(\\n|$)`).exec(body);
  if (close) return body.slice(0, close.index);
  if (final) return body.replace(/\n+$/, '');
  // Still streaming: a last line of only backticks may be the closing fence arriving.
  const lastLine = body.slice(body.lastIndexOf('\n') + 1);
  if (/^[ \t]*`+$/.test(lastLine)) return body.slice(0, Math.max(0, body.lastIndexOf('\n')));
  return body;
}
