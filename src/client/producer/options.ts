/** Producer options with Kafka's names (camelCase) and defaults; validated once. */
import { compressionFromName, CompressionType, type CompressionName } from '../../protocol/compression/index.js';
import { ClientConfigError } from '../errors.js';
import { intOption, type ClientOptions } from '../options.js';
import type { Serializer } from '../serializers.js';
import type { Partitioner, PartitionerFn, PartitionerName } from './partitioners.js';

export type Acks = -1 | 0 | 1 | 'all';

export interface ProducerOptions<K = Buffer | null, V = Buffer | null> extends ClientOptions {
  /** -1/'all' (default): the leader waits for the ISR; 1: the leader only; 0: no response. */
  acks?: Acks;
  /** none (default), gzip, snappy, lz4, zstd. */
  compression?: CompressionName;
  /** Size at which a partition's batch is ready to send (`batch.size`). Default 16384. */
  batchSize?: number;
  /**
   * Largest batch: a ready batch still waiting for an in-flight slot keeps growing up to this
   * (KIP-782's `batch.max.size`). Default 262144, at most maxRequestSize; set it to batchSize
   * for the Java client's fixed batches.
   */
  batchMaxSize?: number;
  /** How long a non-full batch waits for more records (`linger.ms`). Default 5 (Kafka 4.0's default). */
  lingerMs?: number;
  /** Produce requests in flight per broker (`max.in.flight.requests.per.connection`). Default 5. */
  maxInFlightRequestsPerConnection?: number;
  /** Retries of a failed batch (`retries`). Default: unbounded, limited by deliveryTimeoutMs. */
  retries?: number;
  /** A record fails if not acknowledged this long after it was added (`delivery.timeout.ms`). Default 120000. */
  deliveryTimeoutMs?: number;
  /** Producer memory for records not yet acknowledged (`buffer.memory`). Default 33554432. */
  bufferMemory?: number;
  /** How long `send` may wait for metadata or buffer space (`max.block.ms`). Default 60000. */
  maxBlockMs?: number;
  /** Largest Produce request (`max.request.size`). Default 1048576. */
  maxRequestSize?: number;
  /** Let Metadata requests auto-create missing topics (if the broker allows). Default true. */
  allowAutoTopicCreation?: boolean;
  /** 'default' (murmur2 + sticky), 'murmur2_random' (librdkafka), 'round-robin', or your own. */
  partitioner?: PartitionerName | Partitioner | PartitionerFn;
  keySerializer?: Serializer<K>;
  valueSerializer?: Serializer<V>;
  /**
   * Idempotent producing (`enable.idempotence`, KIP-98): each record is written exactly once and
   * in order per partition, whatever the retries. Default on, as in Kafka 3.0+. It needs acks 'all',
   * retries > 0 and maxInFlightRequestsPerConnection <= 5: `true` with a conflicting option throws
   * ClientConfigError; left unset, a conflicting option switches it off (KIP-679). Left unset on a
   * cluster without InitProducerId, the producer falls back to plain producing (one warning); set
   * to `true` there, sends fail with UNSUPPORTED_VERSION.
   */
  idempotent?: boolean;
  /**
   * Makes the producer transactional (`transactional.id`): records go out in transactions
   * (`producer.transaction()`), committed or aborted atomically across partitions, with consumer
   * offsets (`sendOffsets`). Needs idempotence: `idempotent: false` or an option that conflicts
   * with it (acks, retries, maxInFlightRequestsPerConnection) throws ClientConfigError.
   */
  transactionalId?: string;
  /**
   * How long the coordinator lets a transaction stay open before aborting it
   * (`transaction.timeout.ms`). Default 60000; the broker refuses values above its
   * `transaction.max.timeout.ms` (INVALID_TRANSACTION_TIMEOUT).
   */
  transactionTimeoutMs?: number;
}

/**
 * 'off': plain producing. 'default': idempotent because nobody said otherwise (falls back quietly
 * if the cluster cannot). 'explicit': the user asked for it (no fallback).
 */
export type IdempotenceMode = 'off' | 'default' | 'explicit';

/** Kafka's limit: the broker remembers the last 5 batches per producer and partition. */
export const MAX_IN_FLIGHT_FOR_IDEMPOTENCE = 5;

export interface ResolvedProducerOptions {
  acks: -1 | 0 | 1;
  compression: CompressionType;
  batchSize: number;
  batchMaxSize: number;
  lingerMs: number;
  maxInFlight: number;
  retries: number;
  deliveryTimeoutMs: number;
  bufferMemory: number;
  maxBlockMs: number;
  maxRequestSize: number;
  allowAutoTopicCreation: boolean;
  requestTimeoutMs: number;
  idempotence: IdempotenceMode;
  /** null: not transactional. */
  transactionalId: string | null;
  transactionTimeoutMs: number;
}

export function resolveProducerOptions(o: ProducerOptions<unknown, unknown>): ResolvedProducerOptions {
  const acks = o.acks === undefined || o.acks === 'all' ? -1 : o.acks;
  if (acks !== -1 && acks !== 0 && acks !== 1) throw new ClientConfigError(`acks must be -1, 'all', 0 or 1, got ${String(o.acks)}`);
  let compression: CompressionType;
  try {
    compression = compressionFromName(o.compression ?? 'none');
  } catch {
    throw new ClientConfigError(`compression must be none, gzip, snappy, lz4 or zstd, got '${String(o.compression)}'`);
  }
  const lingerMs = intOption('lingerMs', o.lingerMs, 5);
  const requestTimeoutMs = intOption('requestTimeoutMs', o.requestTimeoutMs, 30_000, 1);
  const deliveryTimeoutMs = intOption('deliveryTimeoutMs', o.deliveryTimeoutMs, 120_000, 1);
  if (deliveryTimeoutMs < lingerMs + requestTimeoutMs) {
    throw new ClientConfigError(`deliveryTimeoutMs (${deliveryTimeoutMs}) must be at least lingerMs + requestTimeoutMs (${lingerMs + requestTimeoutMs})`);
  }
  const batchSize = intOption('batchSize', o.batchSize, 16_384, 1);
  const maxRequestSize = intOption('maxRequestSize', o.maxRequestSize, 1_048_576, 1024);
  const batchMaxSize = intOption('batchMaxSize', o.batchMaxSize, Math.min(maxRequestSize, Math.max(batchSize, 262_144)), 1);
  if (batchMaxSize < batchSize) throw new ClientConfigError(`batchMaxSize (${batchMaxSize}) must be at least batchSize (${batchSize})`);
  const retries = o.retries === undefined ? Number.POSITIVE_INFINITY : intOption('retries', o.retries, 0);
  const maxInFlight = intOption('maxInFlightRequestsPerConnection', o.maxInFlightRequestsPerConnection, 5, 1);
  const transactionalId = resolveTransactionalId(o.transactionalId, o.idempotent);
  // A transactional producer cannot fall back to plain producing: its conflicts throw.
  const idempotence = resolveIdempotence(transactionalId === null ? o.idempotent : true, acks, retries, maxInFlight, transactionalId !== null);
  return {
    acks,
    compression,
    batchSize,
    batchMaxSize,
    lingerMs,
    maxInFlight,
    retries,
    deliveryTimeoutMs,
    bufferMemory: intOption('bufferMemory', o.bufferMemory, 33_554_432, 1024),
    maxBlockMs: intOption('maxBlockMs', o.maxBlockMs, 60_000),
    maxRequestSize,
    allowAutoTopicCreation: o.allowAutoTopicCreation ?? true,
    requestTimeoutMs,
    idempotence,
    transactionalId,
    transactionTimeoutMs: intOption('transactionTimeoutMs', o.transactionTimeoutMs, 60_000, 1),
  };
}

function resolveTransactionalId(id: string | undefined, idempotent: boolean | undefined): string | null {
  if (id === undefined) return null;
  if (typeof id !== 'string' || id.length === 0) throw new ClientConfigError(`transactionalId must be a non-empty string, got ${JSON.stringify(id)}`);
  if (idempotent === false) throw new ClientConfigError(`transactionalId '${id}' needs idempotence: remove idempotent: false`);
  return id;
}

/** Kafka's rules (ProducerConfig, KIP-679): conflicts throw if idempotence was asked for, else turn it off. */
function resolveIdempotence(idempotent: boolean | undefined, acks: -1 | 0 | 1, retries: number, maxInFlight: number, transactional = false): IdempotenceMode {
  if (idempotent === false) return 'off';
  const conflicts: string[] = [];
  if (acks !== -1) conflicts.push(`acks 'all' (-1), got ${acks}`);
  if (retries === 0) conflicts.push('retries > 0, got 0');
  if (maxInFlight > MAX_IN_FLIGHT_FOR_IDEMPOTENCE) conflicts.push(`maxInFlightRequestsPerConnection <= ${MAX_IN_FLIGHT_FOR_IDEMPOTENCE}, got ${maxInFlight}`);
  if (idempotent === undefined) return conflicts.length > 0 ? 'off' : 'default';
  if (conflicts.length > 0 && transactional) throw new ClientConfigError(`transactionalId needs idempotence, which needs ${conflicts.join(' and ')}; change those options`);
  if (conflicts.length > 0) throw new ClientConfigError(`idempotent: true needs ${conflicts.join(' and ')}; change those options or set idempotent: false`);
  return 'explicit';
}
