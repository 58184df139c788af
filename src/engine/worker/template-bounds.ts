// Rendering a chat template with bounded work. @huggingface/jinja has no step limit and no way to
// interrupt a render, and a template is code from the model's files: `range(10**9)` or two nested
// loops of 10^5 would block the worker for seconds to minutes. So the render runs in an
// Interpreter subclass that counts every evaluation, checks the clock, and refuses any string or
// list past a size, and `range` is a copy that refuses more than MODEL_LIMITS.templateRange items
// before allocating them. The limits (src/model/limits.ts) are far above what a real template
// needs for a few messages (Qwen2.5's with tools: a few hundred steps per message).
//
// Template.render builds its Environment with globals the package does not export, so they are
// set here the same way (true/false/none, raise_exception, range, strftime_now); the tests compare
// this renderer's output with Template.render's on real templates and on fuzzed ones.
import type * as Jinja from '@huggingface/jinja';
import { MODEL_LIMITS } from '../../model/limits.ts';

/** A render stopped by a bound: not the template's own error, so the system-turn retry is skipped. */
export class TemplateBoundError extends Error {
  constructor(detail: string) {
    super(`the chat template ${detail}`);
    this.name = 'TemplateBoundError';
  }
}

type Interpreter = InstanceType<typeof Jinja.Interpreter>;
type Environment = InstanceType<typeof Jinja.Environment>;
type Statement = Parameters<Interpreter['evaluate']>[0];
type Value = ReturnType<Interpreter['evaluate']>;

/** The clock is read once per this many steps (a read costs more than a step). */
const CLOCK_EVERY = 256;

/** render(variables) for `template`, within MODEL_LIMITS' template bounds. */
export function boundedRenderer(jinja: typeof Jinja, template: InstanceType<typeof Jinja.Template>): (variables: Record<string, unknown>) => string {
  const limits = { steps: MODEL_LIMITS.templateSteps, ms: MODEL_LIMITS.templateMs, chars: MODEL_LIMITS.templateChars };

  class BoundedInterpreter extends jinja.Interpreter {
    private steps = 0;
    private readonly deadline = performance.now() + limits.ms;
    /** The iterable expressions of for loops: a loop costs a step per item even with an empty body. */
    private readonly iterables = new WeakSet<object>();

    private charge(steps: number): void {
      const before = this.steps;
      this.steps += steps;
      if (this.steps > limits.steps) throw new TemplateBoundError(`took more than ${limits.steps} steps to render (a loop that does not end?)`);
      if (Math.floor(before / CLOCK_EVERY) !== Math.floor(this.steps / CLOCK_EVERY) && performance.now() > this.deadline) {
        throw new TemplateBoundError(`took more than ${limits.ms} ms to render (a loop that does not end?)`);
      }
    }

    /**
     * indent(width), tojson(indent=...) build their padding with String.repeat before any result
     * exists to measure, so a literal width past the string bound is refused before it is built.
     */
    private checkFilterWidths(statement: object): void {
      const filter = (statement as { filter?: { type?: string; args?: unknown[] } }).filter;
      if (filter?.type !== 'CallExpression') return;
      for (const arg of filter.args ?? []) {
        const node = arg as { type?: string; value?: unknown };
        const literal = node.type === 'KeywordArgumentExpression' ? node.value as { type?: string; value?: unknown } : node;
        if (literal.type === 'IntegerLiteral' && typeof literal.value === 'number' && literal.value > limits.chars) {
          throw new TemplateBoundError(`asked a filter for a width of ${literal.value}, more than ${limits.chars}`);
        }
      }
    }

    override evaluate(statement: Statement, environment: Environment): Value {
      this.charge(1);
      if (statement?.type === 'FilterExpression') this.checkFilterWidths(statement);
      if (statement?.type === 'For') {
        const { iterable } = statement as unknown as { iterable: { type: string; lhs?: object } };
        this.iterables.add(iterable.type === 'SelectExpression' && iterable.lhs ? iterable.lhs : iterable);
      }
      const value = super.evaluate(statement, environment);
      const size = value.value as unknown;
      if (statement && this.iterables.has(statement)) {
        this.charge(Array.isArray(size) ? size.length : size instanceof Map ? size.size : 0);
      }
      if (typeof size === 'string' && size.length > limits.chars) {
        throw new TemplateBoundError(`built a string of ${size.length} characters, more than ${limits.chars}`);
      }
      if (Array.isArray(size) && size.length > MODEL_LIMITS.templateRange) {
        throw new TemplateBoundError(`built a list of ${size.length} items, more than ${MODEL_LIMITS.templateRange}`);
      }
      return value;
    }
  }

  return (variables) => {
    const env = new jinja.Environment();
    for (const [name, value] of Object.entries({ ...globals(), ...variables })) env.set(name, value);
    const result = new BoundedInterpreter(env).run(template.parsed);
    return result.value as string;
  };
}

/** What Template.render puts in every environment, with range() bounded. */
function globals(): Record<string, unknown> {
  return {
    false: false, true: true, none: null, False: false, True: true, None: null,
    raise_exception: (message: unknown) => { throw new Error(String(message)); },
    range: boundedRange,
    strftime_now: (format: string) => strftime(new Date(), format),
  };
}

function boundedRange(start: number, stop?: number, step = 1): number[] {
  if (stop === undefined) { stop = start; start = 0; }
  if (step === 0) throw new Error('range() step must not be zero');
  const count = Math.max(0, Math.ceil((stop - start) / step));
  if (!(count <= MODEL_LIMITS.templateRange)) {
    throw new TemplateBoundError(`asked for range() of ${count} items, more than ${MODEL_LIMITS.templateRange}`);
  }
  return Array.from({ length: count }, (_, i) => start + i * step);
}

/** The directives @huggingface/jinja's strftime_now understands, the same way. */
function strftime(date: Date, format: string): string {
  const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));
  return String(format).replace(/%[YmdbBHM%]/g, (token) => {
    switch (token) {
      case '%Y': return String(date.getFullYear());
      case '%m': return pad2(date.getMonth() + 1);
      case '%d': return pad2(date.getDate());
      case '%b': return new Intl.DateTimeFormat(undefined, { month: 'short' }).format(date);
      case '%B': return new Intl.DateTimeFormat(undefined, { month: 'long' }).format(date);
      case '%H': return pad2(date.getHours());
      case '%M': return pad2(date.getMinutes());
      default: return '%';
    }
  });
}
