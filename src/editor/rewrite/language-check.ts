// Edit stays in the document's language: a rewrite that brings in lines of another language (the
// toy model once answered a Python function with TypeScript declarations) is declined, whatever
// the model's score for it. The evidence is a few marks that are common in one language family and
// nearly absent from the other; a mark counts only where nothing in the document already has it,
// so code that mixes on purpose (a JavaScript snippet in a Python string) is not held against a rewrite.

interface Family {
  name: string;
  /** Editor language ids whose code this family's marks would be foreign to. */
  foreignTo: readonly string[];
  marks: readonly RegExp[];
}

const PYTHON_IDS = ['python'];
const JS_IDS = ['javascript', 'typescript', 'javascriptreact', 'typescriptreact'];

const FAMILIES: readonly Family[] = [
  {
    name: 'JavaScript/TypeScript',
    foreignTo: PYTHON_IDS,
    marks: [
      /^\s*(export|interface|function\*?|const|let|var|declare|namespace|enum)\s+[\w{*]/,
      /^\s*import\s.*\sfrom\s+['"]/,
      /=>/,
      /[=!]==/,
      /;\s*$/,
      /^\s*\/\//,
      /^\s*(\}\s*)?(else\s+)?(if|for|while|switch|catch)\s*\(.*\)\s*\{\s*$/,
    ],
  },
  {
    name: 'Python',
    foreignTo: JS_IDS,
    marks: [
      /^\s*(async\s+)?def\s+\w+\s*\(/,
      /^\s*(elif|except)\b/,
      /^\s*from\s+[\w.]+\s+import\s/,
      /\bself\./,
      /^\s*(if|elif|else|for|while|with|try|finally|class)\b[^{;]*:\s*$/,
      /^\s*#\s/,
      /\b(None|True|False)\b/,
    ],
  },
];

/**
 * The language family the rewrite's new lines belong to instead of the document's, or undefined
 * when they show no such sign (or the document's language is not one this check knows).
 */
export function foreignLanguage(rewrite: string, req: { before: string; original: string; after: string; language?: string }): string | undefined {
  const language = req.language;
  if (language === undefined) return undefined;
  const kept = new Set(req.original.split('\n').map((l) => l.trim()));
  const added = rewrite.split('\n').filter((l) => l.trim() !== '' && !kept.has(l.trim()));
  if (added.length === 0) return undefined;
  const documentLines = `${req.before}${req.original}${req.after}`.split('\n');
  for (const family of FAMILIES) {
    if (!family.foreignTo.includes(language)) continue;
    for (const mark of family.marks) {
      if (added.some((l) => mark.test(l)) && !documentLines.some((l) => mark.test(l))) return family.name;
    }
  }
  return undefined;
}
