/**
 * The follower's (and observer's) side of replication: a loop of Fetch long-polls to the leader. Each
 * response is applied in the client's serial chain: adopt a newer leader, truncate on a diverging epoch,
 * fetch a snapshot when the leader no longer has the offset, else append and fsync the records (the next
 * fetch offset tells the leader they are durable here) and learn the high watermark.
 *
 * One loop per state generation: a transition starts a new loop and the old one stops at its next step.
 */
import { ErrorCode } from '../../protocol/errors.js';
import { FetchApi, type FetchResponse, type PartitionData } from '../../protocol/messages/fetch.js';
import { FetchSnapshotApi, type FetchSnapshotResponse } from '../../protocol/messages/fetch-snapshot.js';
import { recordsToBuffer } from '../../protocol/schema/records.js';
import { randomInt } from '../runtime.js';
import type { RaftClient } from './raft-client.js';
import { FETCH_SNAPSHOT_VERSION, FETCH_VERSION, fetchRequest, findMetadataPartition, METADATA_PARTITION, METADATA_TOPIC } from './raft-messages.js';
import type { SnapshotId } from './types.js';

type Step = 'continue' | 'retry' | 'stop' | { snapshot: SnapshotId };

/** Upper bound of the pause after a failed fetch. */
const MAX_RETRY_BACKOFF_MS = 200;

export class FollowerFetcher {
  private generation = -1;

  constructor(private readonly c: RaftClient) {}

  start(): void {
    const gen = this.c.stateGeneration;
    if (this.generation === gen) return;
    this.generation = gen;
    void this.loop(gen);
  }

  private current(gen: number): boolean {
    return !this.c.closed && this.c.stateGeneration === gen;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.c.runtime.timers.setTimeout(resolve, ms));
  }

  private destination(): number | null {
    const c = this.c;
    if (c.role === 'follower') return c.leaderId;
    // An observer that knows no leader asks any voter; the answer names the leader.
    const others = c.voterIds.filter((id) => id !== c.nodeId);
    if (others.length === 0) return null;
    return others[randomInt(c.runtime.random, 0, others.length - 1)]!;
  }

  private async loop(gen: number): Promise<void> {
    const c = this.c;
    let backoffMs = 0;
    while (this.current(gen)) {
      if (backoffMs > 0) {
        await this.sleep(backoffMs);
        if (!this.current(gen)) return;
      }
      const dest = this.destination();
      if (dest === null) return;
      const req = fetchRequest({
        clusterId: c.clusterId,
        replicaId: c.nodeId,
        epoch: c.epoch,
        fetchOffset: c.log.endOffset(),
        lastFetchedEpoch: c.log.lastFetchedEpoch(),
        logStartOffset: c.log.startOffset(),
        maxWaitMs: c.fetchMaxWaitMs,
        maxBytes: c.fetchMaxBytes,
      });
      let res: FetchResponse;
      try {
        res = await c.transport.send<FetchResponse>(dest, FetchApi, FETCH_VERSION, req, c.fetchMaxWaitMs + c.requestTimeoutMs);
      } catch {
        backoffMs = this.retryBackoffMs();
        continue;
      }
      if (!this.current(gen)) return;
      let step: Step;
      try {
        step = await c.serial(() => this.apply(gen, dest, res));
      } catch (err) {
        c.fatal(err);
        return;
      }
      if (step === 'stop') return;
      backoffMs = step === 'retry' ? this.retryBackoffMs() : 0;
      if (typeof step === 'object') await this.fetchSnapshot(gen, dest, step.snapshot);
    }
  }

  private retryBackoffMs(): number {
    return randomInt(this.c.runtime.random, 1, Math.min(MAX_RETRY_BACKOFF_MS, this.c.electionBackoffMaxMs) || 1);
  }

  private async apply(gen: number, dest: number, res: FetchResponse): Promise<Step> {
    const c = this.c;
    if (gen !== c.stateGeneration || c.closed) return 'stop';
    if (res.errorCode !== ErrorCode.NONE) {
      c.logger.warn({ nodeId: c.nodeId, from: dest, errorCode: res.errorCode }, 'raft fetch refused');
      return 'retry';
    }
    const p = findMetadataPartition<PartitionData>(res.responses);
    if (p === null) return 'retry';
    const cl = p.currentLeader;
    if (cl.leaderEpoch > c.epoch || (cl.leaderEpoch === c.epoch && cl.leaderId >= 0 && c.leaderId === null)) {
      if (await c.observeLeader(cl.leaderEpoch, cl.leaderId >= 0 ? cl.leaderId : null)) return 'stop';
    }
    if (p.errorCode !== ErrorCode.NONE) {
      if (p.errorCode === ErrorCode.NOT_LEADER_OR_FOLLOWER && c.role === 'follower' && dest === c.leaderId && cl.leaderEpoch === c.epoch && cl.leaderId < 0) {
        // Our leader resigned this epoch: stop refusing pre-votes and stand after a short backoff.
        await c.leaderGone(c.epoch, randomInt(c.runtime.random, 0, c.electionBackoffMaxMs));
        return 'stop';
      }
      return 'retry';
    }
    if (c.role !== 'follower' || dest !== c.leaderId) return 'retry';
    c.lastLeaderContactMs = c.runtime.clock.now();
    c.resetFetchTimeout();
    if (p.divergingEpoch.endOffset >= 0) {
      await this.truncate(p.divergingEpoch.epoch, p.divergingEpoch.endOffset);
      return 'continue';
    }
    if (p.snapshotId.endOffset >= 0) return { snapshot: { endOffset: p.snapshotId.endOffset, epoch: p.snapshotId.epoch } };
    const bytes = recordsToBuffer(p.records);
    if (bytes !== null && bytes.length > 0) {
      await c.log.appendAsFollower(bytes);
      await c.log.flush(); // the next fetch offset reports these records as durable
    }
    c.updateFollowerHighWatermark(p.highWatermark);
    return 'continue';
  }

  /** The leader says our log diverges after `epoch` ended at `endOffset` in its log. */
  private async truncate(epoch: number, endOffset: number): Promise<void> {
    const c = this.c;
    const local = c.log.endOffsetForEpoch(epoch);
    const localEnd = local.epoch < 0 ? c.log.startOffset() : local.offset;
    const to = Math.max(c.log.startOffset(), Math.min(endOffset, localEnd));
    const hw = c.highWatermark();
    if (hw !== null && to < hw) throw new Error(`node ${c.nodeId}: truncation to ${to} below the high watermark ${hw} (leader: epoch ${epoch} ends at ${endOffset}; local ${JSON.stringify(local)}, log ${c.log.startOffset()}..${c.log.endOffset()}, snapshot ${JSON.stringify(c.log.latestSnapshotId())})`);
    c.logger.info({ nodeId: c.nodeId, epoch, endOffset, to }, 'raft follower truncates a diverging log');
    await c.log.truncateTo(to);
  }

  /** FetchSnapshot in chunks from the leader, then installs it (outside the chain while fetching). */
  private async fetchSnapshot(gen: number, dest: number, id: SnapshotId): Promise<void> {
    const c = this.c;
    const parts: Buffer[] = [];
    let position = 0;
    for (;;) {
      if (!this.current(gen)) return;
      let res: FetchSnapshotResponse;
      try {
        res = await c.transport.send<FetchSnapshotResponse>(dest, FetchSnapshotApi, FETCH_SNAPSHOT_VERSION, {
          clusterId: c.clusterId,
          replicaId: c.nodeId,
          maxBytes: c.fetchMaxBytes,
          topics: [{ name: METADATA_TOPIC, partitions: [{ partition: METADATA_PARTITION, currentLeaderEpoch: c.epoch, snapshotId: id, position, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }],
        }, c.requestTimeoutMs);
      } catch {
        return; // the next fetch asks again
      }
      const p = res.topics[0]?.partitions[0];
      if (res.errorCode !== ErrorCode.NONE || p === undefined || p.errorCode !== ErrorCode.NONE || p.position !== position) return;
      const chunk = recordsToBuffer(p.unalignedRecords) ?? Buffer.alloc(0);
      parts.push(chunk);
      position += chunk.length;
      if (position >= p.size) break;
      if (chunk.length === 0) return;
    }
    const bytes = Buffer.concat(parts);
    await c.serial(async () => {
      if (!this.current(gen)) return;
      // Installed even when our log is longer: the leader sends a snapshot only when our log diverged before
      // its start, so our tail is not in the leader's log and nothing below our high watermark is lost.
      await c.log.installSnapshot(id, bytes);
      c.logger.info({ nodeId: c.nodeId, snapshot: id }, 'raft follower installed a snapshot');
      c.snapshotInstalled(id);
    });
  }
}
