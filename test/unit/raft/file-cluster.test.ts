/**
 * Three RaftClients on FileRaftLogs with an in-process transport (real timers): a follower that was down
 * while the leader snapshotted and trimmed its log comes back, fetches the snapshot (FetchSnapshot),
 * installs it into its file log and catches up — the file paths the simulator (memory logs) does not run.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileRaftLog } from '../../../src/cluster/raft/file-raft-log.js';
import { FileQuorumStateStore } from '../../../src/cluster/raft/quorum-state.js';
import { RaftClient } from '../../../src/cluster/raft/raft-client.js';
import type { RaftTransport } from '../../../src/cluster/raft/raft-transport.js';
import { realRuntime } from '../../../src/cluster/runtime.js';
import type { ApiSpec } from '../../../src/protocol/schema/dsl.js';

interface Node {
  id: number;
  dir: string;
  client: RaftClient | null;
  log: FileRaftLog | null;
  records: string[];
  nextOffset: number;
  lastEpoch: number;
  snapshotLoads: number;
}

const VOTERS = [1, 2, 3].map((id) => ({ id, host: 'in-process', port: 0 }));

function transport(nodes: Map<number, Node>): RaftTransport {
  return {
    send: <Res>(to: number, api: ApiSpec, version: number, body: object, timeoutMs: number): Promise<Res> =>
      new Promise<Res>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
        setTimeout(() => {
          const c = nodes.get(to)?.client;
          if (c == null) return; // down: the request times out
          c.handleRequest(api.apiKey, version, body).then(
            (res) => { clearTimeout(timer); resolve(res as Res); },
            (err: unknown) => { clearTimeout(timer); reject(err as Error); },
          );
        }, 1);
      }),
    close: () => undefined,
  };
}

async function start(node: Node, nodes: Map<number, Node>): Promise<void> {
  const log = await FileRaftLog.open(node.dir);
  node.records = [];
  node.nextOffset = 0;
  const client = new RaftClient({
    nodeId: node.id, clusterId: 'file-cluster', voters: VOTERS, log,
    quorumState: new FileQuorumStateStore(log.dir, [1, 2, 3]),
    transport: transport(nodes), runtime: realRuntime(),
    electionTimeoutMs: 200, fetchTimeoutMs: 800, electionBackoffMaxMs: 100, appendLingerMs: 2, fetchMaxBytes: 512,
  });
  client.register({
    handleCommit: (b) => {
      node.records.push(...b.records.map((r) => r.toString()));
      node.nextOffset = b.lastOffset + 1;
      node.lastEpoch = b.epoch;
    },
    handleLoadSnapshot: (s) => {
      node.snapshotLoads++;
      node.records = s.records.map((r) => r.toString());
      node.nextOffset = s.id.endOffset;
      node.lastEpoch = s.id.epoch;
    },
    handleLeaderChange: () => undefined,
  });
  node.log = log;
  node.client = client;
  await client.start();
}

async function stop(node: Node): Promise<void> {
  const c = node.client;
  node.client = null;
  await c?.close();
  await node.log?.close();
  node.log = null;
}

async function waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${describeAll()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let describeAll = (): string => '';

const expected = (n: number): string => Array.from({ length: n }, (_, i) => `r${i}`).join();
/** A node's committed records with retried duplicates dropped. */
const committed = (n: Node): string => n.records.filter((r, i, a) => a.indexOf(r) === i).join();

test('a follower behind the leader\'s snapshot installs it into its file log and catches up', { timeout: 60_000 }, async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'raft-files-'));
  const nodes = new Map<number, Node>();
  for (const id of [1, 2, 3]) nodes.set(id, { id, dir: path.join(root, `n${id}`), client: null, log: null, records: [], nextOffset: 0, lastEpoch: 0, snapshotLoads: 0 });
  const all = [...nodes.values()];
  describeAll = () => all.map((n) => `${n.id}:${n.client?.role}@${n.client?.epoch} leader ${n.client?.leaderId} hw ${n.client?.highWatermark()} log ${n.log?.startOffset()}..${n.log?.endOffset()} records ${n.records.join('|')} failed ${String(n.client?.failureReason ?? null)}`).join('; ');
  const leaderNow = (): Node | undefined => all.find((n) => n.client?.role === 'leader');
  // An append resolves once in the leader's log; it can still be lost with that leader (Raft commits only
  // what a majority holds). So each record is retried until it is committed.
  const append = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i++) {
      const value = `r${i}`;
      for (;;) {
        const l = await waitFor('a leader', leaderNow);
        const ok = await l.client!.append(l.client!.epoch, [Buffer.from(value)]).then(() => true, () => false);
        if (ok && (await waitFor('commit', () => l.records.includes(value) || l.client?.role !== 'leader'), l.records.includes(value))) break;
      }
    }
  };
  try {
    for (const n of all) await start(n, nodes);
    await append(0, 20);
    await waitFor('20 commits everywhere', () => all.every((n) => committed(n) === expected(20)));
    const leader = leaderNow()!;
    const lagging = all.find((n) => n !== leader)!;
    await stop(lagging);
    await append(20, 50);
    const up = all.filter((n) => n !== lagging);
    await waitFor('50 commits on the two up', () => up.every((n) => committed(n) === expected(50)));
    const l = leaderNow()!;
    await l.client!.createSnapshot({ id: { endOffset: l.nextOffset, epoch: l.lastEpoch }, lastContainedLogTimestampMs: Date.now(), records: l.records.map((r) => Buffer.from(r)) });
    await l.log!.trimToLatestSnapshot();
    assert.equal(l.log!.startOffset(), l.nextOffset, 'the leader log now starts at its snapshot');

    await start(lagging, nodes);
    await waitFor('the lagging follower catches up', () => committed(lagging) === expected(50));
    assert.equal(lagging.snapshotLoads, 1, 'it loaded the snapshot instead of replaying the log');
    assert.deepEqual(lagging.log!.latestSnapshotId(), l.log!.latestSnapshotId());
    assert.equal(lagging.log!.startOffset(), l.log!.latestSnapshotId()!.endOffset);
    await append(50, 51);
    await waitFor('51 commits everywhere', () => all.every((n) => committed(n) === expected(51)));

    // And the installed snapshot survives a restart of that follower's files.
    await stop(lagging);
    lagging.snapshotLoads = 0;
    await start(lagging, nodes);
    await waitFor('replayed from its own snapshot and log', () => committed(lagging) === expected(51));
    assert.equal(lagging.snapshotLoads, 1);
  } finally {
    for (const n of all) await stop(n);
    await rm(root, { recursive: true, force: true });
  }
});
