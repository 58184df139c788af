// The replay's numbers: rates from the simulated user's counts, and the table the README shows.

import { nearestRank } from '../../src/hud/percentiles.ts';
import type { ReplayLanguage } from './cases.ts';
import type { EditSummary } from './edit-replay.ts';
import { addResults, emptyCaseResult, type CaseResult } from './simulated-user.ts';

export interface SystemSummary {
  /** Suggestions shown per 100 keystrokes. */
  shownPer100: number;
  /** Shown suggestions taken, whole (Tab) or in part (Ctrl+→), ÷ shown; 0..1. */
  acceptRate: number;
  /** The share of those taken whole. */
  acceptWholeRate: number;
  /** Characters inserted by accepts ÷ all characters of the typed stretches; 0..1. */
  charsSaved: number;
  /** Shown suggestions of which not one word was taken ÷ shown; 0..1. */
  wrongRate: number;
  /** Suggestions the confidence gate held back, per 100 keystrokes. */
  gatedPer100: number;
  keystrokes: number;
  shown: number;
  /** Keystroke → first ghost, ms, on the path the replay used (undefined: nothing shown). */
  ghostP50Ms: number | undefined;
  ghostP95Ms: number | undefined;
}

/**
 * The page sample: the same cases in Chromium, against the Node run's. Once one suggestion differs
 * (a near tie the two backends' arithmetic breaks differently, or a prompt window sized by a
 * different measured speed) the user types differently and later suggestions are not comparable,
 * so agreement counts each case's suggestions up to its first difference.
 */
export interface PageSample {
  backend: string;
  cases: number;
  keystrokes: number;
  /** Suggestions shown in the page. */
  shown: number;
  /** Suggestions identical to the Node run's, up to each case's first difference. */
  sameBeforeFirstDifference: number;
  /** Cases whose whole run of suggestions matched. */
  sameCases: number;
  /** The page's and Node's accept rates and characters saved on these cases. */
  page: Pick<SystemSummary, 'acceptRate' | 'charsSaved'>;
  node: Pick<SystemSummary, 'acceptRate' | 'charsSaved'>;
  ghostP50Ms: number | undefined;
  ghostP95Ms: number | undefined;
}

export interface ReplayReport {
  model: string;
  backend: string;
  files: number;
  maxKeystrokes: number;
  languages: Partial<Record<ReplayLanguage, Record<string, SystemSummary>>>;
  edit: EditSummary;
  page: PageSample | { skipped: string };
}

const ratio = (a: number, b: number) => (b > 0 ? a / b : 0);

export function summarize(r: CaseResult): SystemSummary {
  const accepted = r.acceptedWhole + r.acceptedPart;
  return {
    shownPer100: 100 * ratio(r.shown, r.keystrokes),
    acceptRate: ratio(accepted, r.shown),
    acceptWholeRate: ratio(r.acceptedWhole, r.shown),
    charsSaved: ratio(r.acceptedChars, r.acceptedChars + r.typedChars),
    wrongRate: ratio(r.wrong, r.shown),
    gatedPer100: 100 * ratio(r.gated, r.keystrokes),
    keystrokes: r.keystrokes,
    shown: r.shown,
    ghostP50Ms: nearestRank(r.ghostLatencyMs, 50),
    ghostP95Ms: nearestRank(r.ghostLatencyMs, 95),
  };
}

export function pageAgreement(backend: string, page: readonly CaseResult[], node: readonly CaseResult[]): PageSample {
  let same = 0, sameCases = 0;
  page.forEach((r, i) => {
    const n = node[i]?.shownTexts ?? [];
    const firstDifference = r.shownTexts.findIndex((t, k) => n[k] !== t);
    same += firstDifference < 0 ? r.shownTexts.length : firstDifference;
    if (firstDifference < 0 && r.shownTexts.length === n.length) sameCases++;
  });
  const total = (rs: readonly CaseResult[]) => summarize(rs.reduce(addResults, emptyCaseResult()));
  const p = total(page), n = total(node);
  return {
    backend, cases: page.length, keystrokes: p.keystrokes, shown: p.shown, sameBeforeFirstDifference: same, sameCases,
    page: { acceptRate: p.acceptRate, charsSaved: p.charsSaved }, node: { acceptRate: n.acceptRate, charsSaved: n.charsSaved },
    ghostP50Ms: p.ghostP50Ms, ghostP95Ms: p.ghostP95Ms,
  };
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;
const ms = (x: number | undefined) => (x === undefined ? '–' : x.toFixed(0));

/** Markdown: one row per language and system, then Edit's line. */
export function replayTable(r: ReplayReport): string {
  const rows = [
    `Typing replay: ${r.files} files, ≤ ${r.maxKeystrokes} keystrokes each; ${r.model} on the ${r.backend} backend.`,
    '',
    '| language | system | shown / 100 keys | gated / 100 keys | accepted | of them whole | chars saved | wrong | keystrokes | ghost p50 / p95 ms |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const [language, systems] of Object.entries(r.languages)) {
    for (const [name, s] of Object.entries(systems ?? {})) {
      rows.push(`| ${language} | ${name} | ${s.shownPer100.toFixed(1)} | ${s.gatedPer100.toFixed(1)} | ${pct(s.acceptRate)} | ${pct(s.acceptWholeRate)} | ${pct(s.charsSaved)} | ${pct(s.wrongRate)} | ${s.keystrokes} | ${ms(s.ghostP50Ms)} / ${ms(s.ghostP95Ms)} |`);
    }
  }
  const e = r.edit;
  rows.push('', `Edit on ${e.cases} mutated selections: restored ${e.restored}, made worse ${e.worse}, declined ${e.declined}, closer but not restored ${e.cases - e.restored - e.worse - e.declined}.`);
  const p = r.page;
  rows.push('', 'skipped' in p
    ? `Page sample: skipped (${p.skipped}).`
    : `Page sample (Chromium, ${p.backend}): ${p.cases} cases, ${p.keystrokes} keystrokes, ${p.shown} suggestions; ${p.sameBeforeFirstDifference} as in Node up to each case's first difference, ${p.sameCases} of ${p.cases} cases identical throughout; `
      + `accepted ${pct(p.page.acceptRate)} (Node ${pct(p.node.acceptRate)}), chars saved ${pct(p.page.charsSaved)} (Node ${pct(p.node.charsSaved)}); keystroke → ghost p50 / p95 ${ms(p.ghostP50Ms)} / ${ms(p.ghostP95Ms)} ms.`);
  return rows.join('\n');
}
