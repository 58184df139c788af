// Property tests of chat templates: random small templates (loops, nested loops, ranges from tiny
// to huge, string and list growth, conditionals, filters) either render or fail with an Error,
// always within the render bound, and whatever renders equals @huggingface/jinja's own
// Template.render (the bounded renderer changes how long a render may take, never its text).
// SPARK_FUZZ_RUNS=<n> runs more cases (see src/model/safetensors.property.test.ts).
import { Template } from '@huggingface/jinja';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MODEL_LIMITS } from '../../model/limits.ts';
import { FUZZ, FUZZ_TIMEOUT_MS } from '../../testing/arbitraries.ts';

/** Each looping case may run to the time bound, so this property runs a tenth of the cases. */
const LOOP_RUNS = Math.max(20, Math.ceil(FUZZ.numRuns / 10));
import { outcome } from '../../testing/model-arbitraries.ts';
import type { ChatMessage } from '../api/protocol.ts';
import { loadChatTemplate } from './chat-template.ts';

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'Be brief.' },
  { role: 'user', content: 'rename x to y' },
];
const FOLDED: ChatMessage[] = [{ role: 'user', content: 'Be brief.\n\nrename x to y' }];
const VARIABLES = { bos_token: '<s>', eos_token: '</s>' };

/** A count for range(): mostly small, sometimes enough to double a string past the bound, sometimes past range's own bound. */
const countArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 5 }) },
  { weight: 2, arbitrary: fc.constantFrom(25, 64) },
  { weight: 1, arbitrary: fc.constantFrom(3000, 5000, 10 ** 9) },
);
const exprArb = fc.oneof(
  fc.constantFrom("'a'", 'message.content', "message['role']", 'loop.index', 'bos_token', 'messages | length', 'ns.s | length', 'undefined_name', 'messages[5]'),
  countArb.map((n) => `range(${n}) | length`),
  fc.constantFrom("'x' ~ 'y'", "message.content | upper", "message.content | trim", 'messages[0].content[:3]', '1 / 0', "'%d' % 3", "raise_exception('no')"),
);

const bodyArb: fc.Arbitrary<string> = fc.letrec<{ body: string }>((tie) => ({
  body: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom('text', '<|im_start|>', '\n', ''),
    exprArb.map((e) => `{{ ${e} }}`),
    fc.tuple(countArb, tie('body')).map(([n, b]) => `{% for i in range(${n}) %}${b}{% endfor %}`),
    tie('body').map((b) => `{% for message in messages %}${b}{% endfor %}`),
    fc.tuple(exprArb, tie('body'), tie('body')).map(([c, a, b]) => `{% if ${c} %}${a}{% else %}${b}{% endif %}`),
    fc.constantFrom('{% set ns.s = ns.s ~ ns.s %}', '{% set ns.l = ns.l + ns.l %}', '{% set ns.s = ns.s ~ message.content %}', '{% break %}'),
    fc.tuple(tie('body'), tie('body')).map(([a, b]) => a + b),
  ),
})).body;

const templateArb = bodyArb.map((b) => `{% set ns = namespace(s='ab', l=[1, 2]) %}${b}{% if add_generation_prompt %}<|assistant|>{% endif %}`);

/** Loops built to reach every bound: growth by doubling, nested loops, break. */
const loopTemplateArb = fc.record({
  outer: fc.constantFrom(1, 10, 30, 100, 4000, 5000),
  inner: fc.option(fc.constantFrom(1, 10, 30, 4000)),
  body: fc.constantFrom('{% set ns.s = ns.s ~ ns.s %}', '{% set ns.l = ns.l + ns.l %}', '{{ i }}', '', '{% set ns.s = ns.s ~ i %}', '{% if i > 5 %}{% break %}{% endif %}x'),
}).map(({ outer, inner, body }) => {
  const core = inner === null ? body : `{% for j in range(${inner}) %}${body}{% endfor %}`;
  return `{% set ns = namespace(s='ab', l=[1, 2]) %}{% for i in range(${outer}) %}${core}{% endfor %}{{ ns.s | length }} {{ ns.l | length }}`;
});

/** Renders with ours and, when ours finishes, checks Template.render gives the same text. */
async function renderCase(source: string): Promise<void> {
  const loaded = await loadChatTemplate({ chat_template: source, ...VARIABLES });
  if (!loaded) throw new Error('expected a template');
  if (!loaded.ok) return; // a parse error is reported as such (the app shows it)
  const ours = outcome(() => loaded.template.render(MESSAGES), MODEL_LIMITS.templateMs + 500);
  if (ours.ok) {
    // A template that refuses the system turn is rendered again with it folded into the user turn.
    const render = (messages: ChatMessage[]) => new Template(source).render({ ...VARIABLES, messages: messages.map((m) => ({ ...m })), add_generation_prompt: true });
    const theirs = outcome(() => render(MESSAGES));
    expect(ours.value).toBe(theirs.ok ? theirs.value : render(FOLDED));
  }
}

describe('chat templates (property)', () => {
  it(`random templates render or fail with an Error within the bound, and what renders matches Template.render (${FUZZ.numRuns} cases)`, async () => {
    await fc.assert(fc.asyncProperty(templateArb, renderCase), FUZZ);
  }, FUZZ_TIMEOUT_MS);

  // A case here may run up to the render bound (MODEL_LIMITS.templateMs), so a tenth of the runs.
  it(`loops built to reach each bound (doubling strings and lists, nested loops) fail within it or match Template.render (${LOOP_RUNS} cases)`, async () => {
    await fc.assert(fc.asyncProperty(loopTemplateArb, renderCase), { ...FUZZ, numRuns: LOOP_RUNS });
  }, FUZZ_TIMEOUT_MS);
});
