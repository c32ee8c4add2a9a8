/** Building a Producer from the global flags, --command-config and per-command flags. */
import { Producer } from '../client/producer/producer.js';
import type { ProducerOptions } from '../client/producer/options.js';
import { ErrorCode } from '../client/errors.js';
import { CliError } from './errors.js';
import type { AcksFlag, CompressionFlag } from './parse.js';
import { bounded, clientLogger, explain, reach, unreachable, type Session } from './session.js';

export interface ProducerFlags {
  acks?: AcksFlag;
  compression?: CompressionFlag;
  lingerMs?: number;
  batchSize?: number;
}

export function createProducer(s: Session, flags: ProducerFlags, extra: Partial<ProducerOptions> = {}): Producer {
  const fromFile = s.settings.producer as Partial<ProducerOptions>;
  const lingerMs = flags.lingerMs ?? fromFile.lingerMs ?? 5;
  const requestTimeoutMs = s.settings.client.requestTimeoutMs ?? s.settings.timeoutMs;
  const options: ProducerOptions = {
    ...s.settings.client,
    maxBlockMs: s.settings.timeoutMs,
    deliveryTimeoutMs: Math.max(30_000, lingerMs + requestTimeoutMs),
    ...fromFile,
    ...extra,
    ...(flags.acks !== undefined ? { acks: flags.acks } : {}),
    ...(flags.compression !== undefined ? { compression: flags.compression } : {}),
    ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
    lingerMs,
    logger: clientLogger(s, 'cli-producer'),
  };
  try {
    return new Producer(options);
  } catch (err) {
    throw explain(err, s.settings);
  }
}

/**
 * Connects and makes sure `topic` exists (asking the broker to auto-create it when it allows
 * that), failing fast with "topic 'x' does not exist" instead of waiting for max.block.ms.
 */
export async function prepareTopic(s: Session, producer: Producer, topic: string, autoCreate: boolean): Promise<number> {
  await reach(s, producer.cluster);
  try {
    const { update } = await bounded(producer.cluster.fetchMetadata([topic], autoCreate), s.settings.timeoutMs, () => unreachable(s.settings));
    const code = update.topicErrors.get(topic);
    if (code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
      throw new CliError(
        `topic '${topic}' does not exist${autoCreate ? ' and the broker does not auto-create topics' : ''} — create it with \`tributary topic create ${topic}\`, or list topics with \`tributary topic list\`.`,
      );
    }
    const info = await producer.cluster.waitForTopic(topic, { timeoutMs: s.settings.timeoutMs, allowAutoTopicCreation: autoCreate });
    return info.partitions.length;
  } catch (err) {
    throw explain(err, s.settings, { topic });
  }
}
