// Reads a Chromium trace (browser.startTracing/stopTracing, category `toplevel`) for the tasks
// that ran on renderer main threads: how long each took on the wall clock and on the thread's CPU.

export interface TracedTask { wallMs: number; cpuMs: number }

interface TraceEvent { name?: string; ph?: string; pid?: number; tid?: number; dur?: number; tdur?: number; args?: { name?: string } }

export function mainThreadTasks(trace: Buffer): TracedTask[] {
  const parsed = JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] } | TraceEvent[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const mains = new Set(events
    .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
    .map((e) => `${e.pid}:${e.tid}`));
  if (mains.size === 0) throw new Error('the trace names no renderer main thread (CrRendererMain)');
  return events
    .filter((e) => e.ph === 'X' && e.name === 'ThreadControllerImpl::RunTask' && mains.has(`${e.pid}:${e.tid}`))
    // A task cut by the start or the end of tracing has no CPU time; the window's own tasks do.
    .filter((e): e is TraceEvent & { dur: number; tdur: number } => e.dur !== undefined && e.tdur !== undefined)
    .map((e) => ({ wallMs: e.dur / 1000, cpuMs: e.tdur / 1000 }));
}
