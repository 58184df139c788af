// Monaco adapter for the completion controller. Monaco asks for inline completions; the
// controller answers from what it already has and, when the engine streams more text, asks
// Monaco to fetch again (see refresh) so the ghost text grows.
// Keys are Monaco's own inline-suggest bindings: Tab accepts, Ctrl/Cmd+Right accepts a word,
// Esc dismisses, Alt+] / Alt+[ cycle. Each accept is a single edit, hence one undo step.
// Alternatives: Alt+] / Alt+[ first re-ask the provider with triggerKind Explicit, await that fetch,
// then select the next / previous item of what it returned; later presses at the same position
// and text version reuse that answer without asking (Monaco: an explicit request "satisfies" any
// later one there). So an explicit request starts the controller's sampled alternatives and is
// answered when they are all in; our own refreshes must therefore never be explicit.

import type * as Monaco from 'monaco-editor';
import type { Disposable } from '../../util/disposable.ts';
import type { PerfEvent } from '../../hud/perf-events.ts';
import { CompletionController, type CompletionEngine, type CompletionEvent } from './completion-controller.ts';
import type { CursorContext } from './postprocess.ts';
import { documentText } from './document-text.ts';
import { traceNow, waterfallStages, type GhostTrace } from '../../hud/waterfall.ts';
import { GhostRenderWatch } from './ghost-render-watch.ts';

export interface InlineCompletionsOptions {
  monaco: typeof Monaco;
  editor: Monaco.editor.IStandaloneCodeEditor;
  engine: CompletionEngine;
  debounceMs: () => number;
  /** The confidence gate's threshold (settings.gateThreshold). */
  gateThreshold: () => number;
  /** Perf events for the HUD; undefined while nobody watches. */
  perf: () => ((e: PerfEvent) => void) | undefined;
  /** Test and demo hook: every controller event, watched or not. */
  onEvent?: (e: CompletionEvent) => void;
}

interface SparkCompletions extends Monaco.languages.InlineCompletions {
  ctx: CursorContext;
}

/** What the editor was last given on an explicit request (Alt+] / Alt+[), for tests and demos. */
export interface OfferedSuggestions {
  /** Characters before the cursor in the context they were offered for. */
  prefixChars: number;
  /** The suggestion texts in Monaco's order: the main one first, then the distinct alternatives. */
  items: string[];
}

/** Resolves at the controller's next change, or when the editor cancels the request. */
function nextChangeOrCancel(controller: CompletionController, token: Monaco.CancellationToken): Promise<void> {
  if (token.isCancellationRequested) return Promise.resolve();
  return new Promise((resolve) => {
    const sub = token.onCancellationRequested(() => { sub.dispose(); resolve(); });
    void controller.nextChange().then(() => { sub.dispose(); resolve(); });
  });
}

/** Everything before and after the cursor, as the controller sees it (the text read once per document version). */
export function cursorContext(model: Pick<Monaco.editor.ITextModel, 'getOffsetAt' | 'getValue' | 'getVersionId'>, position: Monaco.IPosition): CursorContext {
  const offset = model.getOffsetAt(position);
  const text = documentText(model);
  return { prefix: text.slice(0, offset), suffix: text.slice(offset) };
}

export function registerInlineCompletions(options: InlineCompletionsOptions): Disposable & {
  controller: CompletionController;
  lastOffered(): OfferedSuggestions | undefined;
} {
  const { monaco, editor } = options;
  const offered: { last: OfferedSuggestions | undefined } = { last: undefined };
  // Monaco does not refetch at an unchanged position and text version (a provider's
  // onDidChangeInlineCompletions is "satisfied" by the previous request), so a grown suggestion is
  // shown by clearing the current one and triggering afresh. Clearing reports the old suggestion
  // as rejected; while refreshing, that is not the user's rejection and must not dismiss it.
  // With nothing shown there is nothing to clear: a request for the context is then held open by
  // the provider (controller.isPending) and the new text reaches it anyway; the trigger below is
  // only a backstop (Monaco answers it from a request in progress for the same position).
  const refreshing = { on: false };
  // The last keydown in the editor, on the traces' clock: where a ghost's waterfall starts. A
  // timestamp per key is all this costs; traces are made, and renders watched, only while the HUD watches.
  const lastKey = { at: 0, traced: 0 };
  const editorNode = editor.getDomNode();
  const renders = editorNode ? new GhostRenderWatch({ node: editorNode, now: traceNow, watching: () => options.perf() !== undefined }) : undefined;
  const onKeyDown = (e: KeyboardEvent) => {
    lastKey.at = performance.timeOrigin + e.timeStamp;
    renders?.key(lastKey.at);
  };
  editorNode?.addEventListener('keydown', onKeyDown, true);
  // The waterfall ends in the frame the ghost text appears on screen (as the outside probe sees
  // it), and starts at the last key the user pressed before that: a ghost typed through from a
  // request of an earlier key is that much quicker for them, and the work before that key was
  // hidden behind their typing.
  const finishTrace = (trace: GhostTrace) => {
    const emit = (rendered: number) => {
      const key = renders?.lastKeyBefore(rendered);
      if (key !== undefined && key > (trace.keydown ?? 0)) trace.keydown = key;
      lastKey.traced = Math.max(lastKey.traced, trace.keydown ?? 0);
      trace.rendered = rendered;
      const waterfall = waterfallStages(trace);
      if (waterfall) options.perf()?.({ type: 'ghost-waterfall', ...waterfall });
    };
    lastKey.traced = Math.max(lastKey.traced, trace.keydown ?? 0);
    if (renders) renders.whenRendered(trace.keydown ?? trace.provider ?? 0, emit);
    else requestAnimationFrame(() => emit(traceNow()));
  };
  /** A ghost served from the suggestion in flight (no request): traced once per key. */
  const traceTypedThrough = (trace: GhostTrace) => {
    if (trace.keydown === undefined || trace.keydown <= lastKey.traced) return;
    trace.typedThrough = traceNow();
    finishTrace(trace);
  };
  const refresh = () => {
    if (editor.getAction('editor.action.inlineSuggest.hide')?.isSupported()) { // i.e. a suggestion is visible
      refreshing.on = true;
      try {
        editor.trigger('spark', 'editor.action.inlineSuggest.hide', undefined);
      } finally {
        refreshing.on = false;
      }
    }
    // A newer refresh supersedes this fetch, which then rejects with Monaco's "Canceled": expected.
    // Not explicit: an explicit request means the user asked for alternatives.
    editor.getAction('editor.action.inlineSuggest.trigger')?.run({ explicit: false }).catch(() => {});
  };
  /** A ghost's first marks (keydown, the editor asking, context read), while the HUD watches. */
  const startTrace = (model: Monaco.editor.ITextModel, position: Monaco.IPosition): { ctx: CursorContext; trace: GhostTrace | undefined } => {
    const asked = options.perf() ? traceNow() : undefined;
    const ctx = cursorContext(model, position);
    const trace = asked !== undefined ? { ...(lastKey.at > 0 && lastKey.at <= asked ? { keydown: lastKey.at } : {}), provider: asked, context: traceNow() } : undefined;
    return { ctx, trace };
  };
  const controller = new CompletionController({
    engine: options.engine,
    debounceMs: options.debounceMs,
    gateThreshold: options.gateThreshold,
    onSuggestionChanged: refresh,
    onEvent: (e) => {
      options.onEvent?.(e);
      if (e.type === 'first-ghost') {
        options.perf()?.({ type: 'keystroke-to-ghost', ms: e.keystrokeToGhostMs });
        if (e.trace) finishTrace(e.trace);
      }
      else if (e.type === 'gated') options.perf()?.({ type: 'suggestion-gated' });
    },
  });

  const provider: Monaco.languages.InlineCompletionsProvider<SparkCompletions> = {
    displayName: 'Spark',
    debounceDelayMs: 0, // the controller debounces, by the user's setting
    async provideInlineCompletions(model, position, context, token) {
      if (model !== editor.getModel()) return { items: [], ctx: { prefix: '', suffix: '' } };
      const { ctx, trace } = startTrace(model, position);
      let text = controller.suggest(ctx, trace);
      // Served at once from the suggestion in flight: a ghost for this key with no request, traced
      // as such (once per key: Monaco asks again at the same place when a suggestion grows).
      if (trace && text !== undefined) traceTypedThrough(trace);
      // Nothing to show yet but a suggestion is coming: hold this request open until it arrives
      // (Monaco will not ask again at the same position by itself).
      // After waking, only peek: if a newer keystroke superseded this context, asking with it
      // again would restart a stale request.
      while (text === undefined && controller.isPending(ctx) && !token.isCancellationRequested) {
        await nextChangeOrCancel(controller, token);
        text = controller.peek(ctx);
      }
      if (text === undefined) return { items: [], ctx };
      const explicit = context.triggerKind === monaco.languages.InlineCompletionTriggerKind.Explicit;
      if (explicit) {
        controller.requestAlternatives(ctx);
        // Hold only once the main suggestion is complete: while it streams, each growth refreshes
        // (which cancels this request), and the ghost must keep growing meanwhile. The samples
        // then start as soon as it ends, ready for the next press.
        while (controller.alternativesPending(ctx) && !controller.isPending(ctx) && !token.isCancellationRequested) {
          await nextChangeOrCancel(controller, token);
        }
        text = controller.peek(ctx); // a keystroke while waiting cancels the alternatives with the suggestion
        if (text === undefined || token.isCancellationRequested) return { items: [], ctx };
      }
      const texts = [text, ...controller.alternativesFor(ctx, text)];
      if (explicit) offered.last = { prefixChars: ctx.prefix.length, items: texts };
      // A multi-line insert must replace to the end of the line: carry the rest of the line along.
      const lineEnd = model.getLineMaxColumn(position.lineNumber);
      const rest = model.getValueInRange(new monaco.Range(position.lineNumber, position.column, position.lineNumber, lineEnd));
      return {
        ctx,
        items: texts.map((t) => {
          const multiLine = t.includes('\n');
          return {
            insertText: multiLine ? t + rest : t,
            range: new monaco.Range(position.lineNumber, position.column, position.lineNumber, multiLine ? lineEnd : position.column),
          };
        }),
        enableForwardStability: true,
      };
    },
    handleItemDidShow() {
      options.perf()?.({ type: 'suggestion-shown' });
    },
    handlePartialAccept() {
      options.perf()?.({ type: 'suggestion-accepted', part: 'partial' });
    },
    handleEndOfLifetime(completions, _item, reason) {
      if (reason.kind === monaco.languages.InlineCompletionEndOfLifeReasonKind.Accepted) {
        options.perf()?.({ type: 'suggestion-accepted', part: 'full' });
        controller.cancel();
      } else if (reason.kind === monaco.languages.InlineCompletionEndOfLifeReasonKind.Rejected && !refreshing.on) {
        controller.dismiss(completions.ctx);
      }
    },
    disposeInlineCompletions() {},
  };

  const registration = monaco.languages.registerInlineCompletionsProvider({ pattern: '**' }, provider);
  // Start the request as a typed edit lands rather than when Monaco asks (17–25 ms later here): its
  // request then finds this one in flight for the same context. After the edit's own call stack (a
  // microtask), so the cursor has moved with it. Only where Monaco would ask (it asks on typing,
  // pasting and deleting): one empty selection in the focused editor; not on undo or redo, our own
  // refresh, or a document replaced whole.
  const onEdit = editor.onDidChangeModelContent((e) => {
    if (e.isFlush || e.isUndoing || e.isRedoing || refreshing.on || !editor.hasTextFocus()) return;
    queueMicrotask(() => {
      const model = editor.getModel();
      const selections = editor.getSelections();
      if (!model || !selections || selections.length !== 1 || !selections[0]!.isEmpty()) return;
      const { ctx, trace } = startTrace(model, selections[0]!.getPosition());
      // A key typing through a ghost on screen: the editor updates the ghost itself and may not ask
      // the provider, so its waterfall is traced from here (once per key).
      if (trace && controller.showsTypedThrough(ctx)) traceTypedThrough(trace);
      controller.prefetch(ctx, trace);
    });
  });
  return {
    controller,
    lastOffered: () => offered.last && { prefixChars: offered.last.prefixChars, items: [...offered.last.items] },
    dispose() {
      editorNode?.removeEventListener('keydown', onKeyDown, true);
      renders?.dispose();
      onEdit.dispose();
      registration.dispose();
      controller.dispose();
    },
  };
}
