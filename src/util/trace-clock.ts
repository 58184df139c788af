/**
 * A clock on which the page's and its workers' moments compare (each has its own performance.now()
 * origin): milliseconds since the epoch, with performance.now()'s precision. Latency traces use it.
 */
export const traceNow = (): number => performance.timeOrigin + performance.now();
