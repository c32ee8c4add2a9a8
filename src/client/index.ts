/** The Tributary client: producer, admin, serializers, typed errors, and the shared core. */
export { Producer, type ProducerMessage, type ProducerRecord, type RecordMetadata, type HeaderValue } from './producer/producer.js';
export type { ProducerOptions, Acks } from './producer/options.js';
export { Transaction, type SendOffsetsOptions, type TopicOffsets } from './producer/transaction.js';
export type { TransactionState } from './producer/transaction-manager.js';
export {
  DefaultPartitioner,
  Murmur2RandomPartitioner,
  RoundRobinPartitioner,
  type Partitioner,
  type PartitionerFn,
  type PartitionerInput,
  type PartitionerName,
} from './producer/partitioners.js';
export { murmur2, toPositive, murmur2Partition } from './producer/murmur2.js';
export * from './consumer/index.js';
export { Admin, type AdminOptions } from './admin/admin.js';
export type * from './admin/types.js';
export type { CreateTopicsOptions } from './admin/topics.js';
export {
  bufferSerializer,
  stringSerializer,
  jsonSerializer,
  bufferDeserializer,
  stringDeserializer,
  jsonDeserializer,
  type Serializer,
  type Deserializer,
} from './serializers.js';
export type { ClientOptions, TlsOptions, SaslOptions } from './options.js';
export {
  ClientConfigError,
  UnsupportedFeatureError,
  isRetriableError,
  ProducerFatalError,
  ProducerFencedError,
  TransactionAbortableError,
  TransactionStateError,
} from './errors.js';
export { Cluster, BrokerLink, MetadataCache } from './cluster/index.js';
export type { BrokerInfo, PartitionInfo, TopicInfo, RequestOptions, VersionRange } from './cluster/index.js';
