/**
 * What the cluster's state machines (Raft, the controller, replication, coordinators) are given instead
 * of reaching for Node's globals: a clock, timers and randomness. Production passes `realRuntime()`; the
 * deterministic simulator passes seeded fakes, so every run is replayable from its seed.
 */

export interface Clock {
  /** Milliseconds (wall clock in production; simulated time in the simulator). */
  now(): number;
}

export type TimerHandle = unknown;

export interface Timers {
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface Random {
  /** A float in [0, 1). */
  next(): number;
}

export interface Runtime {
  readonly clock: Clock;
  readonly timers: Timers;
  readonly random: Random;
}

export function realRuntime(): Runtime {
  return {
    clock: { now: () => Date.now() },
    timers: {
      setTimeout: (fn, ms) => {
        const t = setTimeout(fn, ms);
        t.unref?.();
        return t;
      },
      clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
    },
    random: { next: () => Math.random() },
  };
}

/** An integer in [min, max] drawn from `random`. */
export function randomInt(random: Random, min: number, max: number): number {
  return min + Math.floor(random.next() * (max - min + 1));
}
