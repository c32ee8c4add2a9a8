/**
 * The checker: reads a run's history (history.ts) after healing and names what went wrong with
 * Jepsen's words. It knows nothing of the cluster; a hand-written history is checked the same way
 * (test/unit/chaos/checker.test.ts keeps one for every anomaly).
 *
 * - lost-write: an acknowledged record is not at its acknowledged offset in the final log.
 * - inconsistent-offsets: one partition offset held two different records across observers (polls,
 *   acknowledgements, the final read).
 * - reordered: one lane's acknowledged offsets on a partition do not increase with its sequence
 *   (a lane sends one record at a time, so each is acknowledged before the next is sent).
 * - nonmonotonic-poll: an observer's poll returned an offset at or below one it had already seen.
 * - poll-skip: an observer's poll started past the offset after its previous one although the final
 *   log holds records in between.
 * - nonmonotonic-hw: the high watermark a consumer saw on a partition went down while the same leader
 *   served it (the same node in the same leader epoch, when the history records epochs; a node that
 *   restarts and leads again is a new leader whose high watermark comes from its checkpoint). Across a leader change a new leader's high watermark may lag the old one's until its
 *   followers fetch (Kafka's does too: it learned the old one from its last fetch answer); that is
 *   counted as `hwBehindAfterLeaderChange`, not an anomaly.
 * - duplicate: a record of an idempotent lane (its 'lane' event says so) stored at more than one
 *   offset: the broker should have answered the retry with the first one's offset. Lanes without
 *   idempotence may store a record twice legitimately (a retried request that had been written):
 *   those are counted apart (`retryDuplicates`), not anomalies. `idempotent` treats every lane as
 *   idempotent (histories written before lanes were recorded).
 */
import type { HistoryEvent, RecordId } from './history.js';

export type AnomalyKind = 'lost-write' | 'inconsistent-offsets' | 'reordered' | 'nonmonotonic-poll' | 'poll-skip' | 'nonmonotonic-hw' | 'duplicate';

export interface Anomaly {
  kind: AnomalyKind;
  partition: number;
  detail: string;
}

export interface CheckResult {
  sent: number;
  acknowledged: number;
  failed: number;
  /** Records found in the final log that this run wrote. */
  stored: number;
  lost: number;
  /** Extra copies stored of records from lanes without idempotence (retries that had been written). */
  retryDuplicates: number;
  /** Extra copies stored of records from idempotent lanes: each a 'duplicate' anomaly. */
  duplicated: number;
  /** Lanes the history names as idempotent. */
  idempotentLanes: string[];
  /** Polls whose high watermark was below one an earlier poll saw from another leader. */
  hwBehindAfterLeaderChange: number;
  anomalies: Anomaly[];
  /** Anomalies that fail the run (all of them). */
  failures: Anomaly[];
  counts: Partial<Record<AnomalyKind, number>>;
}

const MAX_DETAILS_PER_KIND = 20;

export function checkHistory(events: readonly HistoryEvent[], opts: { idempotent?: boolean } = {}): CheckResult {
  const anomalies: Anomaly[] = [];
  const counts: Partial<Record<AnomalyKind, number>> = {};
  const report = (kind: AnomalyKind, partition: number, detail: string): void => {
    counts[kind] = (counts[kind] ?? 0) + 1;
    if (counts[kind]! <= MAX_DETAILS_PER_KIND) anomalies.push({ kind, partition, detail });
  };

  const finals = new Map<number, Map<number, RecordId | null>>();
  const finalInfo = new Map<number, { highWatermark: number; logStartOffset: number }>();
  for (const e of events) {
    if (e.type !== 'final') continue;
    finals.set(e.partition, new Map(e.records));
    finalInfo.set(e.partition, { highWatermark: e.highWatermark, logStartOffset: e.logStartOffset });
  }

  // What each offset was seen to hold, by whom first.
  const seenAt = new Map<string, { id: RecordId | null; by: string }>();
  const observe = (partition: number, offset: number, id: RecordId | null, by: string): void => {
    const k = `${partition}:${offset}`;
    const prev = seenAt.get(k);
    if (!prev) seenAt.set(k, { id, by });
    else if (prev.id !== id) report('inconsistent-offsets', partition, `offset ${offset} held ${prev.id} (${prev.by}) and ${id} (${by})`);
  };
  for (const [partition, recs] of finals) for (const [offset, id] of recs) observe(partition, offset, id, 'final read');

  let sent = 0;
  let acknowledged = 0;
  let failed = 0;
  let lost = 0;
  const lastAck = new Map<string, { seq: number; offset: number }>();
  const pollState = new Map<string, { next: number; maxSeen: number; hw: number; hwLeader: number; hwLeaderEpoch: number }>();
  let hwBehindAfterLeaderChange = 0;
  for (const e of events) {
    switch (e.type) {
      case 'send':
        sent++;
        break;
      case 'fail':
        failed++;
        break;
      case 'ack': {
        acknowledged++;
        const id = `${e.lane}:${e.seq}`;
        observe(e.partition, e.offset, id, `ack to ${e.lane}`);
        const final = finals.get(e.partition);
        if (final !== undefined && final.get(e.offset) !== id) {
          lost++;
          const info = finalInfo.get(e.partition)!;
          const where = e.offset >= info.highWatermark ? `at or past the final high watermark ${info.highWatermark}` : e.offset < info.logStartOffset ? 'below the log start' : `the final log holds ${final.get(e.offset) ?? 'nothing'} there`;
          report('lost-write', e.partition, `${id} acknowledged at offset ${e.offset}; ${where}`);
        }
        const laneKey = `${e.lane}/${e.partition}`;
        const prev = lastAck.get(laneKey);
        if (prev && prev.seq < e.seq && prev.offset >= e.offset) report('reordered', e.partition, `${e.lane}:${prev.seq} at ${prev.offset}, then ${id} at ${e.offset}`);
        lastAck.set(laneKey, { seq: e.seq, offset: e.offset });
        break;
      }
      case 'poll': {
        const key = `${e.observer}/${e.partition}`;
        const st = pollState.get(key) ?? { next: -1, maxSeen: -1, hw: -1, hwLeader: -1, hwLeaderEpoch: -1 };
        if (e.highWatermark >= 0) {
          const sameLeader = e.leader === st.hwLeader && (e.leaderEpoch === undefined || st.hwLeaderEpoch < 0 || e.leaderEpoch === st.hwLeaderEpoch);
          if (e.highWatermark < st.hw && sameLeader) report('nonmonotonic-hw', e.partition, `${e.observer} saw leader ${e.leader}'s high watermark go from ${st.hw} to ${e.highWatermark}`);
          else if (e.highWatermark < st.hw) hwBehindAfterLeaderChange++;
          if (e.highWatermark >= st.hw) {
            st.hw = e.highWatermark;
            st.hwLeader = e.leader;
            st.hwLeaderEpoch = e.leaderEpoch ?? -1;
          }
        }
        if (e.records.length > 0) {
          const first = e.records[0]![0];
          if (first <= st.maxSeen) report('nonmonotonic-poll', e.partition, `${e.observer} polled offset ${first} after having seen ${st.maxSeen}`);
          if (st.next >= 0 && first > st.next) {
            const final = finals.get(e.partition);
            let missed = 0;
            if (final) for (let o = st.next; o < first; o++) if (final.has(o)) missed++;
            if (missed > 0) report('poll-skip', e.partition, `${e.observer} went from offset ${st.next} to ${first}, skipping ${missed} stored record(s)`);
          }
          for (const [offset, id] of e.records) {
            observe(e.partition, offset, id, e.observer);
            st.maxSeen = Math.max(st.maxSeen, offset);
          }
          st.next = e.records[e.records.length - 1]![0] + 1;
        }
        pollState.set(key, st);
        break;
      }
      default:
        break;
    }
  }

  const idempotentLanes = new Set<string>();
  for (const e of events) if (e.type === 'lane' && e.idempotent) idempotentLanes.add(e.lane);
  const laneOf = (id: RecordId): string => id.slice(0, id.lastIndexOf(':'));
  let stored = 0;
  let duplicated = 0;
  let retryDuplicates = 0;
  for (const [partition, recs] of finals) {
    const where = new Map<RecordId, number>();
    for (const [offset, id] of recs) {
      if (id === null) continue;
      stored++;
      const before = where.get(id);
      if (before === undefined) where.set(id, offset);
      else if (opts.idempotent === true || idempotentLanes.has(laneOf(id))) {
        duplicated++;
        report('duplicate', partition, `${id} (an idempotent lane) at offsets ${before} and ${offset}`);
      } else retryDuplicates++;
    }
  }
  return { sent, acknowledged, failed, stored, lost, retryDuplicates, duplicated, idempotentLanes: [...idempotentLanes].sort(), hwBehindAfterLeaderChange, anomalies, failures: anomalies, counts };
}
