/** Building a Consumer from the global flags, --command-config and per-command flags. */
import { Consumer } from '../client/consumer/consumer.js';
import type { ConsumerOptions } from '../client/consumer/options.js';
import { ErrorCode } from '../client/errors.js';
import { CliError } from './errors.js';
import { bounded, clientLogger, explain, reach, unreachable, type Session } from './session.js';

export function createConsumer(s: Session, extra: Partial<ConsumerOptions>): Consumer {
  const fromFile = s.settings.consumer as Partial<ConsumerOptions>;
  const options: ConsumerOptions = {
    ...s.settings.client,
    allowAutoTopicCreation: false,
    ...fromFile,
    ...extra,
    logger: clientLogger(s, 'cli-consumer'),
  };
  try {
    return new Consumer(options);
  } catch (err) {
    throw explain(err, s.settings);
  }
}

/** Connects and returns each topic's partition count; fails fast with "topic 'x' does not exist". */
export async function topicPartitions(s: Session, consumer: Consumer, topics: readonly string[]): Promise<Map<string, number>> {
  await reach(s, consumer.cluster);
  const out = new Map<string, number>();
  try {
    const { update } = await bounded(consumer.cluster.fetchMetadata([...topics], false), s.settings.timeoutMs, () => unreachable(s.settings));
    for (const t of topics) {
      if (update.topicErrors.get(t) === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        throw new CliError(`topic '${t}' does not exist — list topics with \`tributary topic list\`, or create it with \`tributary topic create ${t}\`.`);
      }
      const info = await consumer.cluster.waitForTopic(t, { timeoutMs: s.settings.timeoutMs, allowAutoTopicCreation: false });
      out.set(t, info.partitions.length);
    }
  } catch (err) {
    throw explain(err, s.settings, { topic: topics.length === 1 ? topics[0] : undefined });
  }
  return out;
}
