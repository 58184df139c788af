// RELIABILITY.md, written by `npm test` from the run's own results: one row per fault or bad-input
// class, with the cases the tests tried, how they came out, and what was lost. Nothing in it is
// typed by hand: a class whose tests did not run says so, and a failed test makes its row say the
// promise is unproven.
//
// A class names its tests by file and (optionally) a title pattern. A property test (fast-check)
// says how many cases it ran at the end of its title, "(300 cases)", from the same number it hands
// fast-check; a parameterised test counts each of its rows; any other test one case.

/** @typedef {{ file: string, title?: RegExp }} TestRef */
/** @typedef {{ fault: string, promise: string, tests: TestRef[] }} FaultClass */

/** @type {FaultClass[]} */
export const FAULT_CLASSES = [
  {
    fault: 'Hostile or damaged share link (wrong types, deep nesting, bytes after the stream, bad base64, truncation, deflate bomb, newer version)',
    promise: 'refused with a message; the saved workspace stays on screen and saved',
    tests: [
      { file: 'src/share/link-codec.property.test.ts' },
      { file: 'src/share/link-codec.test.ts', title: /bad links|hostile|size limit/ },
      { file: 'src/share/session.test.ts', title: /bad link|hostile/ },
    ],
  },
  {
    fault: 'Settings from a link or storage (own keys only: __proto__, constructor; out-of-range values; model id path parts)',
    promise: 'refused field by field; nothing polluted',
    tests: [
      { file: 'src/settings.property.test.ts' },
      { file: 'src/settings.test.ts' },
    ],
  },
  {
    fault: 'Control-token spellings typed in the document or a chat message',
    promise: 'sent to the model as text; only the prompt builder inserts control tokens',
    tests: [{ file: 'src/engine/worker/prompt.test.ts', title: /special|control|spell/i }],
  },
  {
    fault: 'Hostile model files: huge layer counts, vocabularies, token ids, header entries; non-float or non-finite tensors',
    promise: 'a clear error naming the field, the value and the limit, in milliseconds, before any large allocation; unused non-float tensors are skipped',
    tests: [
      { file: 'src/model/bounds.test.ts' },
      { file: 'src/model/finite.test.ts' },
      { file: 'src/model/config.property.test.ts' },
      { file: 'src/model/safetensors.property.test.ts' },
      { file: 'src/model/tokenizer.property.test.ts' },
      { file: 'src/model/gguf.test.ts', title: /^(broken GGUF files|unsupported files)/ },
      { file: 'src/model/gguf.property.test.ts' },
    ],
  },
  {
    fault: 'Chat templates that loop, recurse or blow up their output',
    promise: 'refused with a clear error in well under a second; real templates still render',
    tests: [
      { file: 'src/engine/worker/template-bounds.test.ts' },
      { file: 'src/engine/worker/chat-template.property.test.ts' },
    ],
  },
  {
    fault: 'A model that fails to load while another works',
    promise: 'the working model stays in use, and the status bar says so',
    tests: [{ file: 'src/engine/api/client.test.ts', title: /keeps the model that worked/ }],
  },
  {
    fault: 'Engine worker crashes, or stops answering (a backend that never answers, a terminated worker)',
    promise: 'the request fails with the reason, the document is untouched, the engine restarts and reloads the model',
    tests: [
      { file: 'src/engine/api/supervisor.test.ts' },
      { file: 'src/engine/worker/faults.gpu.test.ts', title: /worker terminated|stops answering/ },
    ],
  },
  {
    fault: 'GPU device lost in the middle of a generation',
    promise: 'the request fails with the reason; the model reloads on a new device or the CPU and the status bar says so',
    tests: [{ file: 'src/engine/worker/faults.gpu.test.ts', title: /device\.destroy/ }],
  },
  {
    fault: 'Two tabs on one workspace (a stale tab typing over a newer save)',
    promise: 'the second tab is warned; a save over a newer revision is refused; both texts stay recoverable',
    tests: [
      { file: 'src/share/session.test.ts', title: /another tab|revision another tab|other tab's version/ },
      { file: 'e2e/no-lost-work.spec.ts', title: /second tab/ },
    ],
  },
  {
    fault: 'A saved workspace that cannot be read, or is still loading',
    promise: 'never written over; what is typed is kept for recovery; export offered',
    tests: [
      { file: 'src/share/session.test.ts', title: /failed read|does not recognise|load is pending/ },
      { file: 'e2e/no-lost-work.spec.ts', title: /cannot be read/ },
    ],
  },
  {
    fault: 'Replacing the workspace (keep a shared link, edit a link, recover an entry)',
    promise: 'the replaced text goes into the recovery ring first',
    tests: [{ file: 'src/share/session.test.ts', title: /keep shared" puts|edits made to an opened link|recovering an entry/ }],
  },
  {
    fault: 'A link naming another model',
    promise: 'nothing loads until the user keeps the link',
    tests: [
      { file: 'src/share/session.test.ts', title: /model id is not applied/ },
      { file: 'e2e/no-lost-work.spec.ts', title: /another model/ },
    ],
  },
  {
    fault: 'Storage full or unavailable (quota, failing saves)',
    promise: 'a warning with export; the text stays in memory; the save is retried without another keystroke',
    tests: [
      { file: 'src/share/session.test.ts', title: /quota/ },
      { file: 'src/share/workspace.test.ts', title: /retries a failed save/ },
      { file: 'e2e/no-lost-work.spec.ts', title: /failing save/ },
    ],
  },
  {
    fault: 'The renderer killed in the middle of typing',
    promise: 'at most the last second of typing is lost',
    tests: [{ file: 'e2e/no-lost-work.spec.ts', title: /killing the renderer/ }],
  },
  {
    fault: 'Long tasks on the UI thread (typing, a streaming Edit, on a 2,000-line file)',
    promise: 'no main-thread task does 50 ms of work (CPU divided by a probe\'s dilation) while typing or while an Edit streams (wall-clock longtask entries asserted with SPARK_LONGTASKS=strict)',
    tests: [{ file: 'e2e/responsive.spec.ts' }],
  },
  {
    fault: 'Script injection and third-party requests',
    promise: 'a strict CSP with no violation in use; a fresh start requests only its own origin',
    tests: [{ file: 'e2e/security.spec.ts' }],
  },
  {
    fault: 'Long use: 2 minutes of typing with suggestions',
    promise: 'heap, GPU buffers, disposables and keystroke->ghost p95 stay bounded (first minute vs last)',
    tests: [{ file: 'e2e/soak.spec.ts' }],
  },
  {
    fault: 'GPU buffers leaking across requests of every shape',
    promise: 'the live buffer count is the same after a second round',
    tests: [{ file: 'src/engine/backends/gpu/gpu-backend-loop.gpu.test.ts', title: /leaks no GPU buffers/ }],
  },
];

/** Fuzz cases per property test in this run (src/testing/arbitraries.ts reads the same variable). */
export const fuzzRuns = (env = process.env) => Number(env['SPARK_FUZZ_RUNS'] ?? 300);

/** The cases one test tried: a property test's title ends with "(N cases)". */
export const casesOf = (title) => Number(/\((\d+) cases\)$/.exec(title)?.[1] ?? 1);

/**
 * Every test of the run as { file, title, status }, from Vitest's JSON report and Playwright's.
 * @returns {{ file: string, title: string, passed: boolean }[]}
 */
export function collectTests(vitest, playwright, root) {
  const out = [];
  for (const file of vitest?.testResults ?? []) {
    const rel = relative(root, file.name);
    for (const a of file.assertionResults ?? []) {
      if (a.status === 'pending' || a.status === 'skipped' || a.status === 'todo') continue;
      out.push({ file: rel, title: [...(a.ancestorTitles ?? []), a.title].join(' > '), passed: a.status === 'passed' });
    }
  }
  const walk = (suite, path) => {
    for (const spec of suite.specs ?? []) {
      for (const test of spec.tests ?? []) {
        const status = test.results?.at(-1)?.status;
        if (status === undefined || status === 'skipped') continue;
        out.push({ file: `e2e/${spec.file ?? suite.file}`, title: [...path, spec.title].join(' > '), passed: status === 'passed' });
      }
    }
    for (const child of suite.suites ?? []) walk(child, [...path, child.title]);
  };
  for (const suite of playwright?.suites ?? []) walk(suite, []);
  return out;
}

function relative(root, path) {
  return root && path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

/** One row per class: the tests that ran for it, the cases they tried, and the outcome. */
export function reliabilityRows(tests, classes = FAULT_CLASSES) {
  return classes.map((c) => {
    const matched = tests.filter((t) => c.tests.some((ref) => ref.file === t.file && (!ref.title || ref.title.test(t.title))));
    const cases = matched.reduce((n, t) => n + casesOf(t.title), 0);
    const failed = matched.filter((t) => !t.passed).length;
    const outcome = matched.length === 0 ? 'not run' : failed === 0 ? `${matched.length} tests passed` : `${failed} of ${matched.length} tests FAILED`;
    const lost = matched.length === 0 ? 'not shown (not run)' : failed === 0 ? 'none' : 'UNPROVEN';
    return { fault: c.fault, promise: c.promise, tests: matched.length, cases, failed, outcome, lost };
  });
}

export function reliabilityMarkdown(rows, { date = new Date().toISOString(), runs = fuzzRuns() } = {}) {
  const lines = [
    '# Reliability',
    '',
    `Written by \`npm test\` (scripts/reliability.mjs) from this run's results, ${date}; not edited by hand.`,
    `Property tests ran ${runs} cases each unless their title says otherwise (SPARK_FUZZ_RUNS); any other test counts one case per row it runs.`,
    '',
    '| fault or bad input | what Spark does | cases tried | outcome | data lost |',
    '|---|---|---:|---|---|',
    ...rows.map((r) => `| ${r.fault} | ${r.promise} | ${r.cases} | ${r.outcome} | ${r.lost} |`),
    '',
  ];
  return lines.join('\n');
}
