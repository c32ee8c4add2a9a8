/**
 * The versions of each API this client knows how to use. For every request the version sent is
 * the highest in (our range) ∩ (the broker's advertised range). Callers with narrower needs pass
 * their own range to `BrokerLink.request`.
 */
import { API_BY_KEY } from '../../protocol/messages/index.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';

export interface VersionRange {
  minVersion: number;
  maxVersion: number;
}

/** apiKey → our [min, max]. Keys absent here use the full declared range of the schema. */
export const CLIENT_API_RANGES: ReadonlyMap<number, VersionRange> = new Map<number, VersionRange>([
  [0, { minVersion: 3, maxVersion: 11 }], // Produce: magic-2 batches need v3+
  [1, { minVersion: 4, maxVersion: 17 }], // Fetch
  [2, { minVersion: 1, maxVersion: 9 }], // ListOffsets
  [3, { minVersion: 1, maxVersion: 12 }], // Metadata: v1+ (null = all topics)
  [8, { minVersion: 2, maxVersion: 9 }], // OffsetCommit
  [9, { minVersion: 1, maxVersion: 7 }], // OffsetFetch: single-group form (v8+ batches groups)
  [10, { minVersion: 0, maxVersion: 6 }], // FindCoordinator
  [15, { minVersion: 0, maxVersion: 5 }], // DescribeGroups
  [16, { minVersion: 0, maxVersion: 5 }], // ListGroups
  [18, { minVersion: 0, maxVersion: 3 }], // ApiVersions (handled by the link itself)
  [19, { minVersion: 2, maxVersion: 7 }], // CreateTopics
  [20, { minVersion: 1, maxVersion: 6 }], // DeleteTopics
  [21, { minVersion: 0, maxVersion: 2 }], // DeleteRecords
  [22, { minVersion: 0, maxVersion: 5 }], // InitProducerId
  // Transactions, protocol v1: the later versions add TRANSACTION_ABORTABLE / transaction v2
  // (KIP-890), and AddPartitionsToTxn v4+ is the broker-to-broker form.
  [24, { minVersion: 0, maxVersion: 3 }], // AddPartitionsToTxn
  [25, { minVersion: 0, maxVersion: 3 }], // AddOffsetsToTxn
  [26, { minVersion: 0, maxVersion: 3 }], // EndTxn
  [28, { minVersion: 0, maxVersion: 3 }], // TxnOffsetCommit: v3+ carries the member's generation and id
  [32, { minVersion: 1, maxVersion: 4 }], // DescribeConfigs
  [37, { minVersion: 0, maxVersion: 3 }], // CreatePartitions
  [42, { minVersion: 0, maxVersion: 2 }], // DeleteGroups
  [43, { minVersion: 1, maxVersion: 2 }], // ElectLeaders: v1+ name the election type
  [44, { minVersion: 0, maxVersion: 1 }], // IncrementalAlterConfigs
  [47, { minVersion: 0, maxVersion: 0 }], // OffsetDelete
  [60, { minVersion: 0, maxVersion: 1 }], // DescribeCluster
]);

export function clientRange(apiKey: number): VersionRange {
  const ours = CLIENT_API_RANGES.get(apiKey);
  if (ours) return ours;
  const spec = API_BY_KEY.get(apiKey);
  if (!spec) throw new RangeError(`unknown API key ${apiKey}`);
  return { minVersion: spec.request.validVersions.min, maxVersion: spec.request.validVersions.max };
}

/** The broker's advertised ranges, from its ApiVersions response. */
export type BrokerApiVersions = ReadonlyMap<number, VersionRange>;

/**
 * Highest version in ours ∩ broker's. Throws KafkaError(UNSUPPORTED_VERSION) with a message that
 * names the API and both ranges when the broker does not advertise the key or the ranges miss.
 */
export function pickVersion(apiKey: number, broker: BrokerApiVersions, ours: VersionRange, where: string): number {
  const name = API_BY_KEY.get(apiKey)?.name ?? `API ${apiKey}`;
  const theirs = broker.get(apiKey);
  if (!theirs) {
    throw new KafkaError(ErrorCode.UNSUPPORTED_VERSION, `${where} does not support ${name} (API key ${apiKey}): not in its ApiVersions response`);
  }
  const v = Math.min(ours.maxVersion, theirs.maxVersion);
  if (v < ours.minVersion || v < theirs.minVersion) {
    throw new KafkaError(
      ErrorCode.UNSUPPORTED_VERSION,
      `${where} supports ${name} v${theirs.minVersion}-${theirs.maxVersion}; this client needs v${ours.minVersion}-${ours.maxVersion}`,
    );
  }
  return v;
}
