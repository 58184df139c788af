// Reads a Chromium trace (browser.startTracing/stopTracing, categories `toplevel` and
// `blink.user_timing`) for the tasks that ran on renderer main threads (how long each took on the
// wall clock and on the thread's CPU) and the page's performance.mark()s, to tell phases apart.

/** A main-thread task: when it started (trace clock, µs), its wall and CPU time, and what posted it (Chromium's source location). */
export interface TracedTask { ts: number; wallMs: number; cpuMs: number; postedFrom: string }

export interface TraceEvent { name?: string; ph?: string; pid?: number; tid?: number; ts?: number; dur?: number; tdur?: number; args?: { name?: string; src_file?: string; src_func?: string } }

/** The trace's events, parsed once for the readers below. */
export function traceEvents(trace: Buffer): TraceEvent[] {
  const parsed = JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
  return Array.isArray(parsed) ? parsed : parsed.traceEvents;
}

/** When the page's performance.mark(name) was made, on the trace clock (µs). */
export function markTime(events: readonly TraceEvent[], name: string): number {
  const at = markTimes(events, name)[0];
  if (at === undefined) throw new Error(`the trace holds no mark "${name}" (trace blink.user_timing)`);
  return at;
}

/** When each performance.mark(name) was made, on the trace clock (µs), in order. */
export function markTimes(events: readonly TraceEvent[], name: string): number[] {
  // A mark is traced twice (its begin and end, or instant and async): one time per distinct instant.
  return [...new Set(events.filter((e) => e.name === name && e.ts !== undefined).map((e) => e.ts!))].sort((a, b) => a - b);
}

/** The task that was running at `ts` (trace clock, µs), if one was. */
export function taskAt(tasks: readonly TracedTask[], ts: number): TracedTask | undefined {
  return tasks.find((t) => t.ts <= ts && ts < t.ts + t.wallMs * 1000);
}

export function mainThreadTasks(events: readonly TraceEvent[]): TracedTask[] {
  const mains = new Set(events
    .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
    .map((e) => `${e.pid}:${e.tid}`));
  if (mains.size === 0) throw new Error('the trace names no renderer main thread (CrRendererMain)');
  return events
    .filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && mains.has(`${e.pid}:${e.tid}`))
    // A task cut by the start or the end of tracing has no CPU time; the window's own tasks do.
    .filter((e): e is TraceEvent & { dur: number; tdur: number } => e.dur !== undefined && e.tdur !== undefined)
    .map((e) => ({ ts: e.ts ?? 0, wallMs: e.dur / 1000, cpuMs: e.tdur / 1000, postedFrom: `${e.args?.src_func ?? '?'} (${e.args?.src_file ?? '?'})` }));
}
