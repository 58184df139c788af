// The simulated typist of `npm run demo`: types a script into the real editor a key at a time, as
// a person does, with the editor's help left on (auto-closing brackets and quotes, auto-indent).
//
// It never assumes what a key did. After every key it reads the document and the cursor back
// (window.spark.getState()) and compares them with the script:
//   - the text before the cursor must be a prefix of the script; what the editor added there itself
//     (indentation after Enter, a `*` continuing a comment) is kept when it is what the script has,
//     and otherwise deleted or re-indented the way a person would fix it;
//   - the text after the cursor on the line (brackets and quotes the editor closed) is typed over
//     when the script reaches it, and deleted when the script's line ends without it;
//   - a suggestion (ghost text) that is exactly what comes next is accepted with Tab; what Tab
//     inserted is checked at the cursor (which may be in the middle of a line), and an insertion that
//     goes beyond the script is taken back with the editor's own undo (Ctrl+Z).
// The caller checks the whole document against the script at the end: that is the ground truth.

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const commonPrefix = (a, b) => { let i = 0; while (i < a.length && i < b.length && a[i] === b[i]) i++; return i; };
const leadingWhitespace = (s) => /^[ \t]*/.exec(s)[0];
const show = (s) => JSON.stringify(s);

/** 1-based { line, column } of a 0-based offset into text. */
export function positionAt(text, offset) {
  let line = 1, start = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) { line++; start = i + 1; }
  return { line, column: offset - start + 1 };
}

/** 0-based offset of a 1-based line and column in text. */
export function offsetAt(text, line, column) {
  let start = 0;
  for (let l = 1; l < line; l++) {
    const i = text.indexOf('\n', start);
    if (i < 0) return text.length;
    start = i + 1;
  }
  const end = text.indexOf('\n', start);
  return Math.min(start + column - 1, end < 0 ? text.length : end);
}

/** Where two texts first differ (undefined when equal): offset, line, column and a little of each. */
export function firstDifference(expected, actual) {
  if (expected === actual) return undefined;
  const offset = commonPrefix(expected, actual);
  const { line, column } = positionAt(expected, offset);
  const lineStart = expected.lastIndexOf('\n', offset - 1) + 1;
  const lineOf = (t) => t.slice(lineStart, (t.indexOf('\n', lineStart) + 1 || t.length + 1) - 1);
  return { offset, line, column, expectedLine: lineOf(expected), actualLine: lineOf(actual), expectedLength: expected.length, actualLength: actual.length };
}

/** The editor's state and the ghost text on screen, in one round trip. */
function readPage(page) {
  return page.evaluate(() => {
    const spark = window.spark;
    if (!spark) throw new Error('window.spark is gone');
    const s = spark.getState();
    const root = document.querySelector('[data-testid="editor"]') ?? document;
    // Monaco renders the ghost's first line as injected text and further lines in a view zone; its
    // spaces are non-breaking spaces.
    const clean = (t) => (t ?? '').replace(/\u00a0/g, ' ');
    const inline = Array.from(root.querySelectorAll('.ghost-text-decoration'), (e) => clean(e.textContent)).join('');
    const more = Array.from(root.querySelectorAll('.suggest-preview-text .view-line'), (e) => clean(e.textContent));
    const sel = s.selections[0];
    const collapsed = !sel || (sel.anchorLine === sel.activeLine && sel.anchorColumn === sel.activeColumn);
    return { text: s.text, line: s.cursor.line, column: s.cursor.column, collapsed, ghost: inline + more.map((l) => `\n${l}`).join('') };
  });
}

export class Typist {
  /**
   * @param page a Playwright page showing the app, the editor focused, the cursor where typing starts
   * @param script the text to type (the document must be empty, or hold a prefix of it before the cursor)
   * @param options keysPerSecond; acceptSuggestions (default true); glanceMs, how long the typist
   *   waits for a suggestion at the start of a line before typing it (default 1500); log
   */
  constructor(page, script, { keysPerSecond = 12, acceptSuggestions = true, glanceMs = 1500, log = () => {}, debug = false } = {}) {
    this.debug = debug;
    this.page = page;
    this.script = script;
    this.keyMs = 1000 / keysPerSecond;
    this.acceptSuggestions = acceptSuggestions;
    this.glanceMs = glanceMs;
    this.log = log;
    this.lastKeyAt = 0;
    this.stats = {
      /** Keys pressed that typed a character of the script (Enter included). */
      charactersTyped: 0,
      /** Characters of the script the editor put in place itself and the typist kept (indentation, comment leaders). */
      charactersFromEditor: 0,
      /** Closing brackets/quotes the editor had inserted, which the typist typed over. */
      typedOver: 0,
      /** Tab presses on a ghost that looked like what comes next. */
      suggestionsTried: 0,
      /** ... whose insertion was exactly the script's next characters (kept). */
      suggestionsAccepted: 0,
      /** Characters of the script inserted by those. */
      charactersFromSuggestions: 0,
      /** ... whose insertion went beyond the script (taken back with Ctrl+Z). */
      acceptancesUndone: 0,
      /** Lines whose indentation the editor changed and the typist put back. */
      reindents: 0,
      /** Text before the cursor on the line that was not the script's, deleted (e.g. surplus auto-indent). */
      deletions: 0,
      /** Text after the cursor the script does not have (an auto-closed bracket the line ends without), deleted. */
      trailingDeletions: 0,
      /** Earlier lines found changed (should not happen), deleted back to the first difference and retyped. */
      repairs: 0,
      /** All keys pressed (typing, Enter, Tab, Delete, Backspace, Ctrl+Z, Shift+End). */
      keystrokes: 0,
      /** Lines finished with the document equal to the script up to the cursor. */
      linesVerified: 0,
    };
  }

  /** Waits for the typing pace, then presses a key. */
  async press(key) {
    await this.pace();
    await this.page.keyboard.press(key);
    this.stats.keystrokes++;
  }

  async typeChar(c) {
    await this.pace();
    // Tab would accept a suggestion or indent: a tab character goes in as text.
    if (c === '\t') await this.page.keyboard.insertText(c);
    else await this.page.keyboard.type(c);
    this.stats.keystrokes++;
  }

  async pace() {
    const wait = this.lastKeyAt + this.keyMs - performance.now();
    if (wait > 0) await sleep(wait);
    this.lastKeyAt = performance.now();
  }

  /** Selects text[from, to) with the mouse's equivalent (the automation handle). */
  async select(text, from, to) {
    const a = positionAt(text, from), b = positionAt(text, to);
    await this.page.evaluate((s) => window.spark.setSelections([s]), { anchorLine: a.line, anchorColumn: a.column, activeLine: b.line, activeColumn: b.column });
  }

  async setCursor(text, offset) {
    const { line, column } = positionAt(text, offset);
    await this.page.evaluate(([l, c]) => window.spark.setCursor(l, c), [line, column]);
  }

  async read() {
    const r = await readPage(this.page);
    return { ...r, offset: offsetAt(r.text, r.line, r.column) };
  }

  /** Types the whole script; resolves with the stats, or throws if the document cannot be made to match. */
  async run() {
    const S = this.script;
    const totalLines = S.split('\n').length;
    const maxSteps = 20 * S.length + 200;
    let snap = await this.read();
    let expectP; // where the last typing key should have left the cursor (more = the editor added text)
    let glancedLine = 0;
    let lastLine = 1;
    let lastGhost = '';
    let typedLine = 0; // the line the typist last typed a character on
    let undoneAt = -1; // where the last Tab was taken back
    for (let step = 0; ; step++) {
      if (step > maxSteps) throw new Error(`the typist made no progress after ${step} steps at ${show(snap.text.slice(-80))}`);
      const T = snap.text, q = snap.offset;
      if (!snap.collapsed) { await this.setCursor(T, q); snap = await this.read(); continue; }
      const lineStart = T.lastIndexOf('\n', q - 1) + 1;
      const lineNo = positionAt(T, q).line;

      // Lines above the cursor are done: they must be the script's.
      if (!S.startsWith(T.slice(0, lineStart))) {
        await this.repair(T, q);
        snap = await this.read();
        continue;
      }
      // The line up to the cursor must be the start of the script's line.
      const scriptLineEnd = S.indexOf('\n', lineStart);
      const want = S.slice(lineStart, scriptLineEnd < 0 ? S.length : scriptLineEnd);
      const have = T.slice(lineStart, q);
      if (!want.startsWith(have)) {
        await this.fixLine(T, q, lineStart, have, want);
        snap = await this.read();
        continue;
      }

      // The document is the script up to the cursor.
      const p = q;
      if (expectP !== undefined && p > expectP) this.stats.charactersFromEditor += p - expectP;
      expectP = undefined;
      if (this.debug && snap.ghost && snap.ghost !== lastGhost) this.log(`ghost at ${show(want.slice(0, p - lineStart))}: ${show(snap.ghost)}`);
      lastGhost = snap.ghost;
      while (lastLine < lineNo) {
        this.stats.linesVerified++;
        this.log(`line ${lastLine}/${totalLines} ok`);
        lastLine++;
      }
      const after = T.slice(q);
      if (after.includes('\n')) {
        // Whole lines after the cursor the script does not have yet (an Enter between brackets, an
        // insertion taken back only in part): delete them, the script will type what it needs.
        this.log(`deleting ${show(after)} after the cursor`);
        await this.select(T, q, T.length);
        await this.press('Delete');
        this.stats.trailingDeletions++;
        snap = await this.read();
        continue;
      }
      if (p === S.length) {
        if (after === '') break;
        await this.press('Shift+End');
        await this.press('Delete');
        this.stats.trailingDeletions++;
        snap = await this.read();
        continue;
      }
      const c = S[p];
      if (c === '\n' && after === '' && want !== '' && want.trim() === '' && typedLine !== lineNo) {
        // A whitespace-only line that is all auto-indent: the editor trims that on Enter, so type it.
        await this.select(T, lineStart, q);
        for (const ch of want) { await this.typeChar(ch); this.stats.charactersTyped++; }
        this.stats.charactersFromEditor -= want.length;
        typedLine = lineNo;
        snap = await this.read();
        continue;
      }
      if (c === '\n') {
        if (after !== '') {
          // The script's line ends here: what the editor closed after the cursor is not in it.
          await this.press('Shift+End');
          await this.press('Delete');
          this.stats.trailingDeletions++;
        } else {
          await this.press('Enter');
          this.stats.charactersTyped++;
          expectP = p + 1;
        }
        snap = await this.read();
        continue;
      }

      if (this.acceptSuggestions) {
        // At the start of a line's code a person pauses and looks at what the editor proposes.
        const atCodeStart = p - lineStart === leadingWhitespace(want).length && want.trim() !== '';
        if (atCodeStart && glancedLine !== lineNo && !snap.ghost) {
          glancedLine = lineNo;
          snap = await this.glance(snap);
        }
        // (Not again where a Tab was just taken back: the same suggestion may show again.)
        const matches = (s) => s.ghost.trim() !== '' && S.startsWith(s.ghost, p) && undoneAt !== p;
        if (matches(snap)) snap = await this.settle(snap);
        if (matches(snap)) {
          const undone = this.stats.acceptancesUndone;
          snap = await this.tryAccept(snap, p);
          if (this.stats.acceptancesUndone > undone) undoneAt = p;
          continue;
        }
      }

      await this.typeChar(c);
      this.stats.charactersTyped++;
      typedLine = lineNo;
      let next = await this.read();
      if (after[0] === c && next.text === S.slice(0, p + 1) + after && next.offset === p + 1) {
        // The editor inserted the key instead of typing over its own closing bracket or quote.
        await this.press('Delete');
        next = await this.read();
        this.stats.typedOver++;
      } else if (after[0] === c && next.text === S.slice(0, p + 1) + after.slice(1)) {
        this.stats.typedOver++;
      }
      expectP = p + 1;
      snap = next;
    }
    while (lastLine <= totalLines) {
      this.stats.linesVerified++;
      this.log(`line ${lastLine}/${totalLines} ok`);
      lastLine++;
    }
    return this.stats;
  }

  /** Waits (polling) up to glanceMs for a suggestion to show, and until it stops growing. */
  async glance(snap) {
    const until = performance.now() + this.glanceMs;
    while (!snap.ghost && performance.now() < until) {
      await sleep(50);
      snap = await this.read();
    }
    return snap.ghost ? this.settle(snap, until) : snap;
  }

  /** Tokens stream: reads the ghost until it is unchanged for 150 ms (or the time is up). */
  async settle(snap, until = performance.now() + 1000) {
    for (;;) {
      await sleep(150);
      const next = await this.read();
      if (next.ghost === snap.ghost || next.text !== snap.text || performance.now() > until) return next;
      snap = next;
    }
  }

  /** Tab on a ghost that is what the script continues with; keeps it only if Tab inserted exactly that. */
  async tryAccept(before, p) {
    const S = this.script;
    const ghost = before.ghost;
    this.stats.suggestionsTried++;
    await this.press('Tab');
    const after = await this.read();
    const q = after.offset;
    const inserted = after.text.slice(p, q);
    // Checked at the cursor, which may be in the middle of a line: everything before it must be the
    // script, Tab must have inserted at least what was shown, and nothing after it may be new lines.
    const ok = S.startsWith(after.text.slice(0, q)) && q - p >= ghost.length && after.text.slice(q).indexOf('\n') < 0 && after.collapsed;
    if (ok) {
      this.stats.suggestionsAccepted++;
      this.stats.charactersFromSuggestions += q - p;
      this.log(`accepted ${show(inserted)}`);
      return after;
    }
    this.log(`Tab inserted ${show(after.text.slice(p, Math.max(q, p)))} (ghost ${show(ghost)}), not what the script has: undo`);
    await this.press('Control+Z');
    this.stats.acceptancesUndone++;
    const undone = await this.read();
    if (undone.text !== before.text || undone.offset !== before.offset) this.log('undo did not give back the exact state before Tab; the typist fixes the rest');
    return undone;
  }

  /** The line before the cursor is not the start of the script's line: fix it as a person would. */
  async fixLine(T, q, lineStart, have, want) {
    const wsHave = leadingWhitespace(have), wsWant = leadingWhitespace(want);
    const code = have.slice(wsHave.length);
    if (code !== '' && wsHave !== wsWant && want.startsWith(wsWant + code)) {
      // The editor re-indented the line (e.g. after a closing bracket): put the indentation back.
      this.log(`line ${positionAt(T, q).line}: indentation ${show(wsHave)} → ${show(wsWant)}`);
      await this.select(T, lineStart, lineStart + wsHave.length);
      if (wsWant === '') await this.press('Delete');
      else for (const ch of wsWant) { await this.typeChar(ch); this.stats.charactersTyped++; }
      const fixed = await this.read();
      await this.setCursor(fixed.text, lineStart + wsWant.length + code.length);
      this.stats.reindents++;
      return;
    }
    // Delete from the first character that differs to the cursor (surplus indentation, a wrong key).
    const k = commonPrefix(have, want);
    await this.select(T, lineStart + k, q);
    await this.press('Backspace');
    this.stats.deletions++;
  }

  /** A line above the cursor changed (the editor trimmed it, say): delete back to the difference and retype. */
  async repair(T, q) {
    const d = commonPrefix(T.slice(0, q), this.script);
    this.stats.repairs++;
    this.log(`repair: the document differs from the script at line ${positionAt(T, d).line} (${show(T.slice(d, Math.min(q, d + 40)))}); deleting to the cursor and retyping`);
    if (this.stats.repairs > 50) throw new Error('the typist gave up: over 50 repairs of earlier lines');
    await this.select(T, d, q);
    await this.press('Backspace');
  }
}
