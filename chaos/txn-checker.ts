/**
 * The exactly-once checker of the transactional workloads (txn-workload.ts). It reads only the
 * history: each transaction's records and reported outcome, what read_committed observers were handed,
 * the inputs' acknowledgements, and the final raw read that gives every stored record its fate from the
 * markers after it (`tfinal`: committed, aborted, still open). Jepsen's names where they exist:
 *
 * - txn-lost-write: a record of a transaction whose commit was acknowledged is not committed in the log.
 * - torn-transaction: some records of one transaction are committed and others are not (whatever the
 *   client was told: an unknown outcome must still be all or nothing).
 * - aborted-committed: a transaction whose abort was acknowledged has committed records.
 * - txn-duplicate: one record committed at two offsets (a transactional producer's retry written twice).
 * - aborted-read: a read_committed consumer was handed a record the log holds as aborted.
 * - dirty-read: a read_committed consumer was handed a record that is not committed at that offset in
 *   the final log (another record there, none, or one still in an open transaction).
 * - hanging-transaction: after healing and the transaction timeout, records still in an open
 *   transaction (the last stable offset stuck below the high watermark).
 * - input-lost-write: an acknowledged input of the consume-transform-produce workload is not at its offset.
 * - ctp-lost-output / ctp-duplicate-output: an input below the group's committed offset has no committed
 *   output, or more than one.
 * - ctp-orphan-output: a committed output whose input is at or past the group's committed offset (or not
 *   in the input log at all): outputs and offsets did not commit together.
 */
import type { HistoryEvent, RecordFate, RecordId } from './history.js';
import { CTP_INPUT, CTP_OUTPUT } from './txn-workload.js';

export type TxnAnomalyKind =
  | 'txn-lost-write'
  | 'torn-transaction'
  | 'aborted-committed'
  | 'txn-duplicate'
  | 'aborted-read'
  | 'dirty-read'
  | 'hanging-transaction'
  | 'input-lost-write'
  | 'ctp-lost-output'
  | 'ctp-duplicate-output'
  | 'ctp-orphan-output';

export interface TxnAnomaly {
  kind: TxnAnomalyKind;
  detail: string;
}

export interface TxnCheckResult {
  /** Transactions by reported outcome. */
  transactions: { committed: number; aborted: number; unknown: number };
  /** Of the unknown ones, how many the log shows committed (the rest left nothing committed). */
  unknownCommitted: number;
  /** Committed records in the final logs of the transactional topics. */
  committedRecords: number;
  abortedRecords: number;
  /** Records handed to read_committed observers. */
  committedReads: number;
  /** Inputs below the group's committed offsets (each must have exactly one committed output). */
  ctpProcessed: number;
  anomalies: TxnAnomaly[];
  counts: Partial<Record<TxnAnomalyKind, number>>;
}

const MAX_DETAILS_PER_KIND = 20;

/** `out:ci:7@12` → `ci:7`. */
function inputOfOutput(outputId: RecordId): RecordId {
  const at = outputId.lastIndexOf('@');
  return outputId.slice('out:'.length, at < 0 ? undefined : at);
}

export function checkTransactions(events: readonly HistoryEvent[]): TxnCheckResult {
  const anomalies: TxnAnomaly[] = [];
  const counts: Partial<Record<TxnAnomalyKind, number>> = {};
  const report = (kind: TxnAnomalyKind, detail: string): void => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (counts[kind]! <= MAX_DETAILS_PER_KIND) anomalies.push({ kind, detail });
  };

  /** topic → partition → offset → [id, fate]. */
  const finals = new Map<string, Map<number, Map<number, [RecordId | null, RecordFate]>>>();
  /** topic → id → where it is committed. */
  const committedAt = new Map<string, Map<RecordId, string[]>>();
  let committedRecords = 0;
  let abortedRecords = 0;
  for (const e of events) {
    if (e.type !== 'tfinal') continue;
    const byPartition = finals.get(e.topic) ?? new Map<number, Map<number, [RecordId | null, RecordFate]>>();
    finals.set(e.topic, byPartition);
    const offsets = new Map<number, [RecordId | null, RecordFate]>();
    byPartition.set(e.partition, offsets);
    const ids = committedAt.get(e.topic) ?? new Map<RecordId, string[]>();
    committedAt.set(e.topic, ids);
    let openFrom = -1;
    for (const [offset, id, fate] of e.records) {
      offsets.set(offset, [id, fate]);
      if (fate === 'o' && openFrom < 0) openFrom = offset;
      if (fate === 'a') abortedRecords++;
      if (fate !== 'c' || id === null) continue;
      if (e.topic !== CTP_INPUT) committedRecords++;
      const list = ids.get(id) ?? [];
      list.push(`${e.partition}@${offset}`);
      ids.set(id, list);
    }
    if (openFrom >= 0) report('hanging-transaction', `${e.topic}-${e.partition}: records from offset ${openFrom} are in a transaction still open after healing (high watermark ${e.highWatermark})`);
  }
  const committedIn = (topic: string, id: RecordId): string[] => committedAt.get(topic)?.get(id) ?? [];

  // Transactions: what the lanes were told against what the log holds.
  const transactions = { committed: 0, aborted: 0, unknown: 0 };
  let unknownCommitted = 0;
  for (const e of events) {
    if (e.type !== 'txn' || !finals.has(e.topic)) continue;
    transactions[e.outcome]++;
    const committed = e.records.filter(([id]) => committedIn(e.topic, id).length > 0).length;
    const name = `${e.lane} transaction ${e.txn} (${e.outcome}${e.error !== undefined ? `: ${e.error.slice(0, 120)}` : ''})`;
    if (committed > 0 && committed < e.records.length) report('torn-transaction', `${name}: ${committed} of its ${e.records.length} records committed`);
    if (e.outcome === 'committed') {
      for (const [id, partition] of e.records) {
        if (committedIn(e.topic, id).length === 0) {
          const stored = [...(finals.get(e.topic)?.get(partition)?.values() ?? [])].find(([rid]) => rid === id);
          report('txn-lost-write', `${name}: ${id} is ${stored ? (stored[1] === 'a' ? 'aborted' : 'in an open transaction') : 'not'} in ${e.topic}-${partition}`);
        }
      }
    } else if (e.outcome === 'aborted' && committed > 0) report('aborted-committed', `${name}: ${committed} of its records committed`);
    else if (e.outcome === 'unknown' && committed === e.records.length) unknownCommitted++;
  }
  for (const [topic, ids] of committedAt) {
    if (topic === CTP_INPUT) continue;
    for (const [id, where] of ids) if (where.length > 1) report('txn-duplicate', `${id} committed in ${topic} at ${where.join(', ')}`);
  }

  // What read_committed consumers were handed must be committed, at that offset, in the final log.
  let committedReads = 0;
  for (const e of events) {
    if (e.type !== 'cpoll') continue;
    const offsets = finals.get(e.topic)?.get(e.partition);
    if (offsets === undefined) continue;
    for (const [offset, id] of e.records) {
      committedReads++;
      const stored = offsets.get(offset);
      if (stored !== undefined && stored[0] === id && stored[1] === 'c') continue;
      if (stored !== undefined && stored[0] === id && stored[1] === 'a') report('aborted-read', `${e.observer} was handed ${id} at ${e.topic}-${e.partition}@${offset}, an aborted record`);
      else report('dirty-read', `${e.observer} was handed ${id} at ${e.topic}-${e.partition}@${offset}; the final log holds ${stored === undefined ? 'nothing' : `${stored[0]} (${stored[1] === 'c' ? 'committed' : stored[1] === 'a' ? 'aborted' : 'open'})`} there`);
    }
  }

  // Consume-transform-produce: one committed output per input the group committed past, none beyond.
  let ctpProcessed = 0;
  const inputs = finals.get(CTP_INPUT);
  if (inputs !== undefined) {
    for (const e of events) {
      if (e.type !== 'input') continue;
      const stored = inputs.get(e.partition)?.get(e.offset);
      if (stored?.[0] !== e.id) report('input-lost-write', `${e.id} acknowledged at ${CTP_INPUT}-${e.partition}@${e.offset}; the final log holds ${stored?.[0] ?? 'nothing'} there`);
    }
    const committedOffset = new Map<number, number>();
    for (const e of events) if (e.type === 'group-offsets' && e.topic === CTP_INPUT) for (const [p, o] of e.offsets) committedOffset.set(p, o);
    /** Input id → its committed outputs (`out:<input id>@<transaction>`, one name per transaction). */
    const outputsOf = new Map<RecordId, string[]>();
    for (const [outputId, where] of committedAt.get(CTP_OUTPUT) ?? []) {
      const inputId = inputOfOutput(outputId);
      outputsOf.set(inputId, [...(outputsOf.get(inputId) ?? []), ...where.map((w) => `${outputId} at ${w}`)]);
    }
    const inputAt = new Map<RecordId, { partition: number; offset: number }>();
    for (const [partition, offsets] of inputs) {
      const upTo = committedOffset.get(partition) ?? -1;
      for (const [offset, [id]] of offsets) {
        if (id === null) continue;
        inputAt.set(id, { partition, offset });
        if (offset >= upTo) continue;
        ctpProcessed++;
        const outputs = outputsOf.get(id) ?? [];
        if (outputs.length === 0) report('ctp-lost-output', `input ${id} (${CTP_INPUT}-${partition}@${offset}) is below the committed offset ${upTo} but has no committed output`);
        else if (outputs.length > 1) report('ctp-duplicate-output', `input ${id} has ${outputs.length} committed outputs: ${outputs.join(', ')}`);
      }
    }
    for (const [outputId, where] of committedAt.get(CTP_OUTPUT) ?? []) {
      const input = inputAt.get(inputOfOutput(outputId));
      const upTo = input ? (committedOffset.get(input.partition) ?? -1) : -1;
      if (!input || input.offset >= upTo) report('ctp-orphan-output', `${outputId} committed at ${where.join(', ')} but its input ${input ? `(offset ${input.offset}) is not below the committed offset ${upTo}` : 'is not in the input log'}`);
    }
  }
  return { transactions, unknownCommitted, committedRecords, abortedRecords, committedReads, ctpProcessed, anomalies, counts };
}
