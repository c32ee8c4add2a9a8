/**
 * How a failed event is tried again. First in place: up to `retries` more calls of the handler,
 * with exponential backoff, while later events of the same key wait (order kept). Then, when
 * `retryTopics` are configured, the event moves to the next retry topic and the key goes on; a
 * retry topic's events are handled again `delayMs` after they were moved, with the same in-place
 * retries. After the last stage the event goes to the dead-letter topic.
 */
import { EventsConfigError } from './errors.js';

export interface BackoffOptions {
  /** Delay before the first retry. Default 100. */
  initialMs?: number;
  /** Longest delay. Default 10000. */
  maxMs?: number;
  /** Growth per retry. Default 2. */
  multiplier?: number;
  /** Random spread, as a fraction of the delay (0.2 = ±20%). Default 0.2. */
  jitter?: number;
}

export interface RetryOptions {
  /** Retries in place after the first call fails. Default 3. */
  retries?: number;
  backoff?: BackoffOptions;
  /** Delays (ms) of the retry topics, in order. Default: none (dead letter after the in-place retries). */
  retryTopics?: readonly number[];
}

export interface ResolvedRetryPolicy {
  retries: number;
  initialMs: number;
  maxMs: number;
  multiplier: number;
  jitter: number;
  retryTopicDelaysMs: readonly number[];
}

export function resolveRetryPolicy(options: RetryOptions = {}): ResolvedRetryPolicy {
  const b = options.backoff ?? {};
  const policy: ResolvedRetryPolicy = {
    retries: options.retries ?? 3,
    initialMs: b.initialMs ?? 100,
    maxMs: b.maxMs ?? 10_000,
    multiplier: b.multiplier ?? 2,
    jitter: b.jitter ?? 0.2,
    retryTopicDelaysMs: [...(options.retryTopics ?? [])],
  };
  const need = (ok: boolean, what: string): void => {
    if (!ok) throw new EventsConfigError(`retry policy: ${what}`);
  };
  need(Number.isInteger(policy.retries) && policy.retries >= 0 && policy.retries <= 1000, `retries must be an integer in 0..1000, got ${policy.retries}`);
  need(Number.isFinite(policy.initialMs) && policy.initialMs >= 0, `backoff.initialMs must be >= 0, got ${policy.initialMs}`);
  need(Number.isFinite(policy.maxMs) && policy.maxMs >= policy.initialMs, `backoff.maxMs must be >= initialMs, got ${policy.maxMs}`);
  need(Number.isFinite(policy.multiplier) && policy.multiplier >= 1, `backoff.multiplier must be >= 1, got ${policy.multiplier}`);
  need(policy.jitter >= 0 && policy.jitter < 1, `backoff.jitter must be in [0, 1), got ${policy.jitter}`);
  need(policy.retryTopicDelaysMs.length <= 10, `at most 10 retry topics, got ${policy.retryTopicDelaysMs.length}`);
  for (const d of policy.retryTopicDelaysMs) need(Number.isFinite(d) && d >= 0, `retry topic delays must be >= 0 ms, got ${d}`);
  return policy;
}

/** The wait before retry number `retry` (1 = the first retry): initialMs · multiplier^(retry-1), capped, with jitter. */
export function retryDelayMs(policy: ResolvedRetryPolicy, retry: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxMs, policy.initialMs * policy.multiplier ** Math.min(Math.max(retry - 1, 0), 60));
  const spread = 1 - policy.jitter + 2 * policy.jitter * random();
  return Math.round(Math.min(policy.maxMs, base * spread));
}

/** What to do after an attempt failed. */
export type RetryDecision = { action: 'retry-in-place'; delayMs: number } | { action: 'retry-topic'; stage: number } | { action: 'dead-letter' };

/**
 * `failuresThisStage`: failed calls so far in this stage (1 after the first); `stage`: 0 for the
 * source topic, i for retry topic i.
 */
export function decideRetry(policy: ResolvedRetryPolicy, stage: number, failuresThisStage: number, random: () => number = Math.random): RetryDecision {
  if (failuresThisStage <= policy.retries) return { action: 'retry-in-place', delayMs: retryDelayMs(policy, failuresThisStage, random) };
  if (stage < policy.retryTopicDelaysMs.length) return { action: 'retry-topic', stage: stage + 1 };
  return { action: 'dead-letter' };
}

/** Retry and dead-letter topic names of a subscription's group. */
export function retryTopicName(group: string, stage: number): string {
  return `${group}.retry.${stage}`;
}

export function deadLetterTopicName(group: string): string {
  return `${group}.dlq`;
}
