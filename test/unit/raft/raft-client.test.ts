import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { FetchResponse } from '../../../src/protocol/messages/fetch.js';
import type { VoteResponse } from '../../../src/protocol/messages/vote.js';
import { recordsToBuffer } from '../../../src/protocol/schema/records.js';
import { LeaderState } from '../../../src/cluster/raft/leader-state.js';
import { MemoryRaftLog } from '../../../src/cluster/raft/memory-raft-log.js';
import { MemoryQuorumStateStore } from '../../../src/cluster/raft/quorum-state.js';
import { RaftClient } from '../../../src/cluster/raft/raft-client.js';
import { batchHeaders } from '../../../src/cluster/raft/raft-log.js';
import { fetchRequest, voteRequest, beginQuorumEpochRequest, fetchPartition, fetchResponse } from '../../../src/cluster/raft/raft-messages.js';
import type { RaftTransport } from '../../../src/cluster/raft/raft-transport.js';
import { NotLeaderError, type CommittedBatch, type LeaderAndEpoch } from '../../../src/cluster/raft/types.js';
import { Prng } from './sim/prng.js';
import { Scheduler, settle } from './sim/scheduler.js';

const CLUSTER = 'c1';

interface Harness {
  client: RaftClient;
  log: MemoryRaftLog;
  qs: MemoryQuorumStateStore;
  sched: Scheduler;
  sent: { to: number; api: string; body: unknown }[];
  run(ms: number): Promise<void>;
}

/** A client whose outbound requests are recorded; `respond` may answer them. */
function harness(nodeId: number, voterIds: number[], respond?: (to: number, api: string, body: unknown) => unknown | undefined): Harness {
  const sched = new Scheduler();
  const log = new MemoryRaftLog();
  const qs = new MemoryQuorumStateStore();
  const sent: Harness['sent'] = [];
  const transport: RaftTransport = {
    send: <Res>(to: number, api: { name: string }, _v: number, body: object): Promise<Res> => {
      sent.push({ to, api: api.name, body });
      const r = respond?.(to, api.name, body);
      return r === undefined ? new Promise<Res>(() => undefined) : Promise.resolve(r as Res);
    },
    close: () => undefined,
  };
  const client = new RaftClient({
    nodeId, clusterId: CLUSTER, voters: voterIds.map((id) => ({ id, host: 'h', port: 0 })), log, quorumState: qs, transport,
    runtime: sched.runtime(new Prng(1)), electionTimeoutMs: 1000, fetchTimeoutMs: 2000, appendLingerMs: 5,
  });
  return {
    client, log, qs, sched, sent,
    async run(ms) {
      const until = sched.nowMs + ms;
      while (await sched.step(until)) { /* run timers */ }
      await settle(); // what the last timer started
    },
  };
}

function vote(candidateId: number, candidateEpoch: number, lastOffsetEpoch: number, lastOffset: number, preVote = false, clusterId = CLUSTER): object {
  return voteRequest({ clusterId, voterId: 1, candidateEpoch, candidateId, lastOffsetEpoch, lastOffset, preVote });
}

async function ask(h: Harness, body: object): Promise<{ granted: boolean; error: number; top: number; epoch: number }> {
  const r = (await h.client.handleRequest(52, 2, body)) as VoteResponse;
  const p = r.topics[0]!.partitions[0]!;
  return { granted: p.voteGranted, error: p.errorCode, top: r.errorCode, epoch: p.leaderEpoch };
}

const rec = (s: string): { value: Buffer } => ({ value: Buffer.from(s) });

test('vote: granted once per epoch, persisted before the answer; a higher epoch resets it', async () => {
  const h = harness(1, [1, 2, 3]);
  await h.client.start();
  assert.deepEqual(await ask(h, vote(2, 1, 0, 0)), { granted: true, error: 0, top: 0, epoch: 1 });
  assert.deepEqual(h.qs.peek(), { epoch: 1, leaderId: null, votedId: 2 });
  assert.equal((await ask(h, vote(3, 1, 0, 0))).granted, false, 'a second candidate in the same epoch');
  assert.equal((await ask(h, vote(2, 1, 0, 0))).granted, true, 'the same candidate again (a retry)');
  assert.equal((await ask(h, vote(3, 2, 0, 0))).granted, true, 'a new epoch, a new vote');
  assert.deepEqual(h.qs.peek(), { epoch: 2, leaderId: null, votedId: 3 });
  const stale = await ask(h, vote(2, 1, 0, 0));
  assert.equal(stale.granted, false);
  assert.equal(stale.error, ErrorCode.FENCED_LEADER_EPOCH);
  await h.client.close();
});

test('vote: the candidate log must be at least as up to date (last epoch, then length)', async () => {
  const h = harness(1, [1, 2, 3]);
  await h.log.appendAsLeader([{ records: [rec('a'), rec('b')] }], 2, 0); // our log: epoch 2, end 2
  await h.client.start();
  assert.equal((await ask(h, vote(2, 5, 1, 10))).granted, false, 'older last epoch, however long');
  assert.equal((await ask(h, vote(2, 6, 2, 1))).granted, false, 'same epoch, shorter');
  assert.equal((await ask(h, vote(2, 7, 2, 2))).granted, true, 'same epoch, same length');
  assert.equal((await ask(h, vote(3, 8, 3, 0))).granted, true, 'newer last epoch, even if shorter');
  await h.client.close();
});

test('vote: cluster id and voter set are checked', async () => {
  const h = harness(1, [1, 2, 3]);
  await h.client.start();
  assert.equal((await ask(h, vote(2, 1, 0, 0, false, 'other'))).top, ErrorCode.INCONSISTENT_CLUSTER_ID);
  assert.equal((await ask(h, vote(9, 1, 0, 0))).error, ErrorCode.INCONSISTENT_VOTER_SET);
  assert.equal(h.qs.writes, 0, 'nothing persisted for refused requests');
  await h.client.close();
});

test('pre-vote: answered without changing epoch or vote; refused while the leader is heard from', async () => {
  const h = harness(1, [1, 2, 3]);
  await h.client.start();
  const r = await ask(h, vote(2, 5, 0, 0, true));
  assert.equal(r.granted, true);
  assert.equal(h.client.epoch, 0);
  assert.equal(h.client.votedId, null);
  assert.equal(h.qs.writes, 0);
  // Follow leader 3 in epoch 5; once it has answered a fetch recently, pre-votes are refused.
  await h.client.handleRequest(53, 1, beginQuorumEpochRequest(CLUSTER, 1, 3, 5));
  assert.equal(h.client.role, 'follower');
  assert.deepEqual(h.qs.peek(), { epoch: 5, leaderId: 3, votedId: null });
  h.client.lastLeaderContactMs = h.sched.nowMs;
  assert.equal((await ask(h, vote(2, 6, 0, 0, true))).granted, false);
  // A real vote for a higher epoch is granted (KIP-595): pre-vote is what keeps a healthy leader in place.
  assert.equal((await ask(h, vote(2, 6, 0, 0, false))).granted, true);
  assert.deepEqual(h.qs.peek(), { epoch: 6, leaderId: null, votedId: 2 });
  await h.client.close();
});

test('election: a prospective voter becomes candidate only after a majority of pre-votes, then leader', async () => {
  const h = harness(1, [1, 2, 3], (_to, api, body) => {
    const p = (body as { topics: { partitions: { candidateEpoch: number; preVote: boolean }[] }[] }).topics[0]!.partitions[0]!;
    if (api === 'Vote') return { errorCode: 0, topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0, errorCode: 0, leaderId: -1, leaderEpoch: p.preVote ? 0 : p.candidateEpoch, voteGranted: true }] }], nodeEndpoints: [] };
    return undefined;
  });
  await h.client.start();
  await h.run(2100); // the election timeout is 1000..2000 ms
  assert.equal(h.client.role, 'leader');
  assert.equal(h.client.epoch, 1);
  const votes = h.sent.filter((s) => s.api === 'Vote').map((s) => (s.body as { topics: { partitions: { preVote: boolean; candidateEpoch: number }[] }[] }).topics[0]!.partitions[0]!);
  assert.ok(votes.some((v) => v.preVote && v.candidateEpoch === 1), 'pre-votes first');
  assert.ok(votes.some((v) => !v.preVote && v.candidateEpoch === 1), 'then the votes');
  // Its first batch is the LeaderChangeMessage control batch of epoch 1.
  const first = batchHeaders(await h.log.read(0, 1 << 20))[0]!;
  assert.equal(first.isControl, true);
  assert.equal(first.partitionLeaderEpoch, 1);
  assert.ok(h.sent.some((s) => s.api === 'BeginQuorumEpoch'));
  await h.client.close();
});

test('high watermark: a majority replicated offset in the current epoch only', () => {
  const s = new LeaderState(1, 4, 10, [1, 2, 3], 0);
  assert.equal(s.updateLocal(11, 0), false, 'the leader alone is no majority');
  assert.equal(s.updateReplica(2, 8, 11, 0), false, 'a majority at 8 is below the epoch start: not committed by this leader');
  assert.equal(s.highWatermark, null);
  assert.equal(s.updateReplica(2, 10, 11, 0), false, 'the LeaderChangeMessage at 10 itself is not yet covered (exclusive end 10)');
  assert.equal(s.updateReplica(2, 11, 11, 0), true);
  assert.equal(s.highWatermark, 11);
  assert.equal(s.updateReplica(3, 5, 11, 0), false, 'a lagging voter changes nothing');
  assert.equal(s.updateReplica(99, 11, 11, 0), false, 'observers do not count');
  assert.equal(s.highWatermark, 11);
  assert.equal(s.hasQuorum(1000, 2000), true);
  assert.equal(s.hasQuorum(2500, 2000), false, 'no voter fetched within the fetch timeout: check-quorum fails');
});

async function singleVoterLeader(): Promise<Harness> {
  const h = harness(1, [1]);
  // An existing log: epoch 1 at 0..2, epoch 3 at 3..4.
  await h.log.appendAsLeader([{ records: [rec('a'), rec('b'), rec('c')] }], 1, 0);
  await h.log.appendAsLeader([{ records: [rec('d'), rec('e')] }], 3, 0);
  await h.qs.write({ epoch: 3, leaderId: null, votedId: null });
  await h.client.start();
  assert.equal(h.client.role, 'leader');
  assert.equal(h.client.epoch, 4);
  return h;
}

async function fetchAt(h: Harness, fetchOffset: number, lastFetchedEpoch: number, epoch = h.client.epoch): Promise<FetchResponse['responses'][0]['partitions'][0]> {
  const req = fetchRequest({ clusterId: CLUSTER, replicaId: 2, epoch, fetchOffset, lastFetchedEpoch, logStartOffset: 0, maxWaitMs: 0, maxBytes: 1 << 20 });
  const r = (await h.client.handleRequest(1, 16, req)) as FetchResponse;
  return r.responses[0]!.partitions[0]!;
}

test('fetch: divergence is reported from lastFetchedEpoch, stale epochs are fenced', async () => {
  const h = await singleVoterLeader();
  const d = await fetchAt(h, 4, 2);
  assert.deepEqual(d.divergingEpoch, { epoch: 1, endOffset: 3 }, 'epoch 2 is unknown: epoch 1 ends at 3');
  const d2 = await fetchAt(h, 6, 3);
  assert.deepEqual(d2.divergingEpoch, { epoch: 3, endOffset: 5 }, 'epoch 3 ended at 5 here, the follower is past it');
  const ok = await fetchAt(h, 5, 3);
  assert.equal(ok.divergingEpoch.endOffset, -1);
  assert.equal(batchHeaders(recordsToBuffer(ok.records)!)[0]!.baseOffset, 5);
  assert.equal((await fetchAt(h, 5, 3, 3)).errorCode, ErrorCode.FENCED_LEADER_EPOCH);
  assert.equal((await fetchAt(h, 5, 3, 9)).errorCode, ErrorCode.UNKNOWN_LEADER_EPOCH);
  await h.client.close();
});

test('append: batches commit through the listener in order, control batches skipped; others get NotLeaderError', async () => {
  const h = await singleVoterLeader();
  const commits: CommittedBatch[] = [];
  const leaders: LeaderAndEpoch[] = [];
  h.client.register({ handleCommit: (b) => commits.push(b), handleLoadSnapshot: () => undefined, handleLeaderChange: (l) => leaders.push(l) });
  const a = h.client.append(4, [Buffer.from('x'), Buffer.from('y')]);
  const b = h.client.append(4, [Buffer.from('z')]);
  await assert.rejects(h.client.append(3, [Buffer.from('old')]), NotLeaderError);
  await h.run(50);
  assert.equal(await a, 7);
  assert.equal(await b, 8);
  assert.deepEqual(commits.map((c) => [c.baseOffset, c.lastOffset, c.epoch, c.records.map((r) => r.toString()).join('')]), [
    [0, 2, 1, 'abc'], [3, 4, 3, 'de'], [6, 7, 4, 'xy'], [8, 8, 4, 'z'],
  ]);
  assert.deepEqual(leaders.at(-1), { leaderId: 1, epoch: 4 });
  assert.equal(h.client.highWatermark(), 9);
  const follower = harness(2, [1, 2, 3]);
  await follower.client.start();
  await assert.rejects(follower.client.append(0, [Buffer.from('x')]), NotLeaderError);
  await follower.client.close();
  await h.client.close();
});

test('follower: truncates at the diverging epoch, appends, fsyncs and learns the high watermark', async () => {
  let step = 0;
  const leaderLog = new MemoryRaftLog();
  await leaderLog.appendAsLeader([{ records: [rec('a'), rec('b')] }], 1, 0);
  await leaderLog.appendAsLeader([{ records: [rec('L')] }], 3, 0);
  const h = harness(2, [1, 2, 3], (_to, api) => {
    if (api !== 'Fetch') return undefined;
    step++;
    if (step === 1) {
      const p = fetchPartition(0, 1, 3, 2, 0);
      p.divergingEpoch = { epoch: 1, endOffset: 2 };
      return fetchResponse(0, p);
    }
    if (step === 2) return leaderLog.read(2, 1 << 20).then((records) => { const p = fetchPartition(0, 1, 3, 3, 0); p.records = records; return fetchResponse(0, p); });
    return undefined;
  });
  // Our log: epoch 1 at 0..1, then a stale epoch-2 batch at 2..3 the leader never had.
  await h.log.appendAsLeader([{ records: [rec('a'), rec('b')] }], 1, 0);
  await h.log.appendAsLeader([{ records: [rec('s'), rec('t')] }], 2, 0);
  await h.client.start();
  await h.client.handleRequest(53, 1, beginQuorumEpochRequest(CLUSTER, 2, 1, 3));
  await h.run(10);
  assert.equal(h.log.endOffset(), 3);
  assert.equal(h.log.lastFetchedEpoch(), 3);
  assert.equal(h.log.flushedOffset(), 3, 'fsynced before the next fetch reports it');
  assert.equal(h.client.highWatermark(), 3);
  const fetches = h.sent.filter((s) => s.api === 'Fetch').map((s) => (s.body as { topics: { partitions: { fetchOffset: number; lastFetchedEpoch: number }[] }[] }).topics[0]!.partitions[0]!);
  assert.deepEqual(fetches.slice(0, 3).map((f) => [f.fetchOffset, f.lastFetchedEpoch]), [[4, 2], [2, 1], [3, 3]]);
  await h.client.close();
});

test('snapshots: a fetch below the log start gets the snapshot id; FetchSnapshot serves it in chunks', async () => {
  const h = await singleVoterLeader();
  await h.run(10);
  const hw = h.client.highWatermark()!;
  assert.equal(hw, 6);
  await assert.rejects(h.client.createSnapshot({ id: { endOffset: hw + 1, epoch: 4 }, lastContainedLogTimestampMs: 0, records: [] }), /not committed/);
  const id = { endOffset: 5, epoch: 3 };
  await h.client.createSnapshot({ id, lastContainedLogTimestampMs: 9, records: [Buffer.from('state-a'), Buffer.from('state-b')] });
  assert.deepEqual(h.client.latestSnapshotId(), id);
  h.log.trimToLatestSnapshot();
  assert.equal(h.log.startOffset(), 5);
  const p = await fetchAt(h, 2, 1);
  assert.deepEqual(p.snapshotId, { endOffset: 5, epoch: 3 });
  const whole = (await h.log.readSnapshotBytes(id))!;
  const parts: Buffer[] = [];
  let position = 0;
  while (position < whole.length) {
    const r = (await h.client.handleRequest(59, 1, {
      clusterId: CLUSTER, replicaId: 2, maxBytes: 64,
      topics: [{ name: '__cluster_metadata', partitions: [{ partition: 0, currentLeaderEpoch: 4, snapshotId: id, position, replicaDirectoryId: 'AAAAAAAAAAAAAAAAAAAAAA' }] }],
    })) as { topics: { partitions: { errorCode: number; size: number; position: number; unalignedRecords: Buffer }[] }[] };
    const part = r.topics[0]!.partitions[0]!;
    assert.equal(part.errorCode, 0);
    assert.equal(part.size, whole.length);
    assert.ok(part.unalignedRecords.length <= 64);
    parts.push(part.unalignedRecords);
    position += part.unalignedRecords.length;
  }
  assert.deepEqual(Buffer.concat(parts), whole);
  // A fresh listener starts from the snapshot, then gets the batches after it.
  const seen: string[] = [];
  h.client.register({
    handleCommit: (b) => seen.push(`batch@${b.baseOffset}`),
    handleLoadSnapshot: (s) => seen.push(`snapshot@${s.id.endOffset}:${s.records.map((r) => r.toString()).join('+')}`),
    handleLeaderChange: () => undefined,
  });
  await h.run(10);
  assert.deepEqual(seen, ['snapshot@5:state-a+state-b']);
  await h.client.close();
});

test('describe quorum: the leader reports voters and observers with their offsets', async () => {
  const h = await singleVoterLeader();
  await h.run(10);
  await fetchAt(h, 5, 3);
  const r = (await h.client.handleRequest(55, 1, { topics: [{ topicName: '__cluster_metadata', partitions: [{ partitionIndex: 0 }] }] })) as {
    topics: { partitions: { errorCode: number; leaderId: number; leaderEpoch: number; highWatermark: number; currentVoters: { replicaId: number; logEndOffset: number }[]; observers: { replicaId: number; logEndOffset: number }[] }[] }[];
  };
  const p = r.topics[0]!.partitions[0]!;
  assert.equal(p.errorCode, 0);
  assert.equal(p.leaderId, 1);
  assert.equal(p.leaderEpoch, 4);
  assert.equal(p.highWatermark, 6);
  assert.deepEqual(p.currentVoters.map((v) => [v.replicaId, v.logEndOffset]), [[1, 6]]);
  assert.deepEqual(p.observers.map((v) => [v.replicaId, v.logEndOffset]), [[2, 5]]);
  const f = harness(2, [1, 2, 3]);
  await f.client.start();
  const nr = (await f.client.handleRequest(55, 1, {})) as { topics: { partitions: { errorCode: number }[] }[] };
  assert.equal(nr.topics[0]!.partitions[0]!.errorCode, ErrorCode.NOT_LEADER_OR_FOLLOWER);
  await f.client.close();
  await h.client.close();
});
