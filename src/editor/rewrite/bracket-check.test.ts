import { describe, expect, it } from 'vitest';
import { bracketBalance, bracketDamage } from './bracket-check.ts';

// The case that made this check: a try/catch "fixed" into a loop of returns and closing braces.
const ts = {
  before: 'function load() {\n  try {\n    E.stackTraceLimit = 0;\n',
  original: '  } catch {\n    return new Definition();\n    _E = null;\n  }\n',
  after: '  return saved;\n}\n',
  language: 'typescript',
};

describe('Edit keeps the code\'s brackets matched', () => {
  it('refuses a rewrite that closes blocks the code around it still needs', () => {
    const loop = '    return saved;\n  } catch (error) {\n    return saved;\n  }\n  return saved;\n}\n}\n';
    expect(bracketDamage(loop, ts)).toBe('the rewrite would unbalance the code\'s brackets (2 more } than {)');
    expect(bracketDamage('  } catch {\n    _E = null;\n    return new Definition();\n  }\n', ts)).toBeUndefined();
  });

  it('accepts a rewrite that closes what the user left open, and refuses one that opens more', () => {
    const open = { ...ts, original: '  } catch {\n    f(g(1);\n  }\n' };
    expect(bracketDamage('  } catch {\n    f(g(1));\n  }\n', open)).toBeUndefined();
    expect(bracketDamage('  } catch {\n    f(g(h(1);\n  }\n', open)).toBe('the rewrite would unbalance the code\'s brackets (1 more ( than ))');
  });

  it('ignores brackets in strings and comments, as each language writes them', () => {
    expect(bracketBalance('a = "(" + \'[\' + `{${x}` // )\n/* } */ f(', 'typescript')).toEqual({ '()': 1, '[]': 0, '{}': 0 });
    expect(bracketBalance('a = "(" # )\ns = """ { \n ]"""\nf(', 'python')).toEqual({ '()': 1, '[]': 0, '{}': 0 });
    expect(bracketBalance('a = 7 // 2 # ( \n', 'python')).toEqual({ '()': 0, '[]': 0, '{}': 0 });
    expect(bracketBalance('s = "unterminated (\nf(', 'javascript')).toEqual({ '()': 1, '[]': 0, '{}': 0 });
  });
});
