// Edit keeps the code's nesting: a rewrite that leaves more brackets unmatched in the document than
// the user's code did breaks everything after the selection, however the model scores it: a small
// model's loop of `return saved; }` lines can score better per token than the try/catch it replaces.
// A rewrite that closes a bracket the user's code left open is a fix, and passes. The document is
// scanned whole, once with each text, so strings and comments that span the selection's edges are
// read as the language reads them.

type Kind = '()' | '[]' | '{}';
const KINDS: readonly Kind[] = ['()', '[]', '{}'];
const OPEN: Readonly<Record<string, Kind>> = { '(': '()', '[': '[]', '{': '{}' };
const CLOSE: Readonly<Record<string, Kind>> = { ')': '()', ']': '[]', '}': '{}' };

/** Opened minus closed, per kind, outside strings and comments. */
export function bracketBalance(text: string, language: string | undefined): Record<Kind, number> {
  const net: Record<Kind, number> = { '()': 0, '[]': 0, '{}': 0 };
  const python = language === 'python';
  let i = 0;
  const skipTo = (end: string, escapes: boolean) => {
    while (i < text.length && !text.startsWith(end, i)) i += escapes && text[i] === '\\' ? 2 : 1;
    i += end.length;
  };
  while (i < text.length) {
    const c = text[i]!;
    if (python ? c === '#' : text.startsWith('//', i)) skipTo('\n', false);
    else if (!python && text.startsWith('/*', i)) { i += 2; skipTo('*/', false); }
    else if (python && (text.startsWith('"""', i) || text.startsWith("'''", i))) { i += 3; skipTo(c.repeat(3), true); }
    else if (c === '"' || c === "'" || (c === '`' && !python)) {
      // A quote left open ends at the line's end (template literals may span lines).
      i++;
      while (i < text.length && text[i] !== c && (c === '`' || text[i] !== '\n')) i += text[i] === '\\' ? 2 : 1;
      i++;
    } else {
      if (OPEN[c]) net[OPEN[c]]++;
      else if (CLOSE[c]) net[CLOSE[c]]--;
      i++;
    }
  }
  return net;
}

/**
 * Why the rewrite would leave the document's brackets less balanced than the original does (for
 * some kind), or undefined when it does not.
 */
export function bracketDamage(rewrite: string, req: { before: string; original: string; after: string; language?: string }): string | undefined {
  const was = bracketBalance(`${req.before}${req.original}${req.after}`, req.language);
  const now = bracketBalance(`${req.before}${rewrite}${req.after}`, req.language);
  for (const kind of KINDS) {
    if (Math.abs(now[kind]) <= Math.abs(was[kind])) continue;
    const [open, close] = kind;
    const more = now[kind] > was[kind] ? `${now[kind] - was[kind]} more ${open} than ${close}` : `${was[kind] - now[kind]} more ${close} than ${open}`;
    return `the rewrite would unbalance the code's brackets (${more})`;
  }
  return undefined;
}
