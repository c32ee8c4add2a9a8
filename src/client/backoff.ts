/** Exponential backoff with ±20% jitter: initialMs · 2^attempt, capped at maxMs. */
export function backoffMs(attempt: number, initialMs: number, maxMs: number, random: () => number = Math.random): number {
  const base = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  const jitter = 0.8 + 0.4 * random();
  return Math.max(0, Math.round(Math.min(maxMs, base * jitter)));
}

/** Resolves after `ms` milliseconds (a caller is waiting on it, so the timer keeps the process alive). */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
