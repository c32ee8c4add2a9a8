/**
 * Per-topic traffic (Kafka's BrokerTopicStats: BytesInPerSec, BytesOutPerSec, MessagesInPerSec),
 * counted by the Produce and Fetch handlers: one map lookup and additions per partition of a request.
 * A topic's counters are dropped at the first scrape after it is gone from the metadata, so deleted
 * topics do not pile up series.
 */
import type { Registry } from 'prom-client';
import type { TopicStatsRecorder } from '../broker-services.js';
import { registerScraped } from './exposition.js';

class TopicCounters {
  bytesIn = 0;
  bytesOut = 0;
  messagesIn = 0;
  readonly labels: Readonly<Record<string, string>>;

  constructor(topic: string) {
    this.labels = { topic };
  }
}

export class TopicStats implements TopicStatsRecorder {
  private readonly byTopic = new Map<string, TopicCounters>();

  produced(topic: string, sizeBytes: number, records: number): void {
    const c = this.counters(topic);
    c.bytesIn += sizeBytes;
    c.messagesIn += records;
  }

  fetched(topic: string, sizeBytes: number): void {
    this.counters(topic).bytesOut += sizeBytes;
  }

  private counters(topic: string): TopicCounters {
    let c = this.byTopic.get(topic);
    if (c === undefined) {
      c = new TopicCounters(topic);
      this.byTopic.set(topic, c);
    }
    return c;
  }

  /** `exists`: whether the topic is still in the metadata (its counters are dropped otherwise). */
  register(registry: Registry, exists: (topic: string) => boolean): void {
    const prune = (): void => {
      for (const topic of this.byTopic.keys()) if (!exists(topic)) this.byTopic.delete(topic);
    };
    const series = (pick: (c: TopicCounters) => number) => () => [...this.byTopic.values()].map((c) => ({ labels: c.labels, value: pick(c) }));
    const bytesIn = series((c) => c.bytesIn);
    registerScraped(registry, {
      name: 'tributary_topic_bytes_in_total',
      help: "Bytes of clients' batches appended, by topic (Kafka: kafka.server:type=BrokerTopicMetrics,name=BytesInPerSec,topic=…).",
      type: 'counter',
      // The first of the three metrics to be collected prunes for all (collection runs in registration order).
      collect: () => {
        prune();
        return bytesIn();
      },
    });
    registerScraped(registry, {
      name: 'tributary_topic_bytes_out_total',
      help: "Bytes returned to consumers' fetches, by topic; followers' fetches not counted (Kafka: kafka.server:type=BrokerTopicMetrics,name=BytesOutPerSec,topic=…).",
      type: 'counter',
      collect: series((c) => c.bytesOut),
    });
    registerScraped(registry, {
      name: 'tributary_topic_messages_in_total',
      help: 'Records appended from clients, by topic (Kafka: kafka.server:type=BrokerTopicMetrics,name=MessagesInPerSec,topic=…).',
      type: 'counter',
      collect: series((c) => c.messagesIn),
    });
  }
}
