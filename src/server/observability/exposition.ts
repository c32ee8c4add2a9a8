/**
 * Metrics whose values are computed when Prometheus scrapes, handed to a prom-client Registry.
 *
 * prom-client's own Counter and Histogram hash a label object on every `inc`/`observe` (an allocation
 * per call), which the request path cannot afford; its Gauge `collect()` callbacks reset and re-set
 * every series per scrape. Ours keep plain numbers where they are counted (request-metrics.ts,
 * topic-stats.ts) or read them from the broker's state at scrape time, and build the exposition only
 * then. prom-client still owns the registry, the text format, and the Node process metrics.
 */
import type { Metric, Registry } from 'prom-client';

export type MetricType = 'counter' | 'gauge' | 'histogram';

/** One sample; `metricName` only for a histogram's `_bucket`, `_sum` and `_count` lines. */
export interface Sample {
  readonly value: number;
  readonly labels: Readonly<Record<string, string | number>>;
  readonly metricName?: string;
}

export interface ScrapedMetric {
  readonly name: string;
  readonly help: string;
  readonly type: MetricType;
  /** Called once per scrape; must be synchronous and bounded by the broker's state, not its history. */
  readonly collect: () => readonly Sample[];
}

/** Registers `metric` with `registry` in the shape prom-client's exposition reads (`get()`). */
export function registerScraped(registry: Registry, metric: ScrapedMetric): void {
  const adapter = {
    name: metric.name,
    help: metric.help,
    type: metric.type,
    aggregator: 'sum' as const,
    get: async () => ({ name: metric.name, help: metric.help, type: metric.type, aggregator: 'sum' as const, values: metric.collect() }),
    reset: (): void => undefined,
  };
  // prom-client types registerMetric() with its own classes; the registry itself only calls
  // get() and reads name/type/help/aggregator (documented for custom metrics in its README).
  registry.registerMetric(adapter as unknown as Metric);
}

/**
 * Upper bounds (seconds) of the request latency buckets: from half a millisecond (ApiVersions,
 * Metadata on a warm image) to 30 s (acks=all waits and long-poll Fetches up to their max wait).
 */
export const LATENCY_BUCKETS_SECONDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** The `_bucket` (cumulative, with `+Inf`), `_sum` and `_count` samples of one histogram series. */
export function histogramSamples(
  name: string,
  labels: Readonly<Record<string, string | number>>,
  bucketCounts: Float64Array,
  count: number,
  sumSeconds: number,
  out: Sample[],
): void {
  let cumulative = 0;
  for (let i = 0; i < LATENCY_BUCKETS_SECONDS.length; i++) {
    cumulative += bucketCounts[i]!;
    out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: LATENCY_BUCKETS_SECONDS[i]! }, value: cumulative });
  }
  out.push({ metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: count });
  out.push({ metricName: `${name}_sum`, labels, value: sumSeconds });
  out.push({ metricName: `${name}_count`, labels, value: count });
}
