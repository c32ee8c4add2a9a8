/**
 * Requests served per API and version, and how long they took (Kafka's RequestMetrics
 * RequestsPerSec and TotalTimeMs). The router calls `requestCompleted` once per request: it indexes a
 * preallocated slot by (api key, version) — created on the first request of that pair, never again —
 * and adds to plain numbers, so the hot path allocates nothing.
 */
import type { Registry } from 'prom-client';
import type { RequestObserver } from '../request-router.js';
import { histogramSamples, LATENCY_BUCKETS_SECONDS, registerScraped, type Sample } from './exposition.js';

/** Versions per API key a slot table has room for (Kafka's highest is below 20; the router checks ranges). */
const VERSION_SLOTS = 64;

class ApiVersionSlot {
  count = 0;
  sumSeconds = 0;
  /** Per bucket (not cumulative), the last one past the largest bound. */
  readonly buckets = new Float64Array(LATENCY_BUCKETS_SECONDS.length + 1);
  readonly labels: Readonly<Record<string, string | number>>;

  constructor(api: string, version: number) {
    this.labels = { api, version };
  }
}

export const REQUESTS_TOTAL = 'tributary_requests_total';
export const REQUEST_DURATION_SECONDS = 'tributary_request_duration_seconds';

export class RequestMetrics implements RequestObserver {
  private readonly slots: Array<ApiVersionSlot | undefined> = [];
  /** In first-seen order, for the exposition. */
  private readonly used: ApiVersionSlot[] = [];

  /** `apiNames`: the API name of each key the router serves (Kafka's request names: Produce, Fetch …). */
  constructor(private readonly apiNames: ReadonlyMap<number, string>) {}

  requestCompleted(apiKey: number, apiVersion: number, durationMs: number): void {
    if (apiVersion < 0 || apiVersion >= VERSION_SLOTS || apiKey < 0) return;
    const index = apiKey * VERSION_SLOTS + apiVersion;
    let slot = this.slots[index];
    if (slot === undefined) {
      slot = new ApiVersionSlot(this.apiNames.get(apiKey) ?? String(apiKey), apiVersion);
      this.slots[index] = slot;
      this.used.push(slot);
    }
    const seconds = durationMs / 1000;
    slot.count += 1;
    slot.sumSeconds += seconds;
    let b = 0;
    while (b < LATENCY_BUCKETS_SECONDS.length && seconds > LATENCY_BUCKETS_SECONDS[b]!) b++;
    slot.buckets[b]! += 1;
  }

  /** Count of requests seen for (api name, version): for tests. */
  count(api: string, version: number): number {
    return this.used.find((s) => s.labels['api'] === api && s.labels['version'] === version)?.count ?? 0;
  }

  register(registry: Registry): void {
    registerScraped(registry, {
      name: REQUESTS_TOTAL,
      help: 'Requests served, by API and version (Kafka: kafka.network:type=RequestMetrics,name=RequestsPerSec).',
      type: 'counter',
      collect: () => this.used.map((s) => ({ labels: s.labels, value: s.count })),
    });
    registerScraped(registry, {
      name: REQUEST_DURATION_SECONDS,
      help: 'Time from dispatch to encoded response, by API and version (Kafka: kafka.network:type=RequestMetrics,name=TotalTimeMs).',
      type: 'histogram',
      collect: () => {
        const out: Sample[] = [];
        for (const s of this.used) histogramSamples(REQUEST_DURATION_SECONDS, s.labels, s.buckets, s.count, s.sumSeconds, out);
        return out;
      },
    });
  }
}
