/**
 * Three RaftClients on FileRaftLogs in temp dirs, each behind a minimal TCP listener (FrameDecoder +
 * raft-wire.ts), talking over real sockets through NetworkRaftTransport: they elect a leader, commit
 * appends, survive closing the leader, and the old leader restarts from its files and catches up.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FrameDecoder } from '../../../src/network/frame-decoder.js';
import { FileRaftLog } from '../../../src/cluster/raft/file-raft-log.js';
import { FileQuorumStateStore } from '../../../src/cluster/raft/quorum-state.js';
import { RaftClient } from '../../../src/cluster/raft/raft-client.js';
import { NetworkRaftTransport, type QuorumVoter } from '../../../src/cluster/raft/raft-transport.js';
import { decodeRaftRequest, encodeRaftResponse } from '../../../src/cluster/raft/raft-wire.js';
import { realRuntime } from '../../../src/cluster/runtime.js';
import type { CommittedBatch } from '../../../src/cluster/raft/types.js';

interface Node {
  id: number;
  dir: string;
  server: Server;
  port: number;
  sockets: Set<Socket>;
  client: RaftClient | null;
  log: FileRaftLog | null;
  transport: NetworkRaftTransport | null;
  commits: string[];
}

function listen(node: Omit<Node, 'server' | 'port'>): Promise<{ server: Server; port: number }> {
  const server = createServer((socket) => {
    node.sockets.add(socket);
    socket.on('close', () => node.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    const decoder = new FrameDecoder(64 * 1024 * 1024);
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const req = decodeRaftRequest(Buffer.from(frame));
        const client = node.client;
        if (client === null) {
          socket.destroy();
          return;
        }
        client.handleRequest(req.header.apiKey, req.header.apiVersion, req.body).then(
          (res) => {
            if (socket.writable) for (const b of encodeRaftResponse(req.spec, req.header, res as object)) socket.write(b);
          },
          () => socket.destroy(),
        );
      }
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

async function startClient(node: Node, voters: QuorumVoter[]): Promise<void> {
  const log = await FileRaftLog.open(node.dir);
  const transport = new NetworkRaftTransport(voters.filter((v) => v.id !== node.id), { connectTimeoutMs: 500 });
  const client = new RaftClient({
    nodeId: node.id,
    clusterId: 'socket-test',
    voters,
    log,
    quorumState: new FileQuorumStateStore(log.dir, voters.map((v) => v.id), 'socket-test'),
    transport,
    runtime: realRuntime(),
    electionTimeoutMs: 300,
    fetchTimeoutMs: 1000,
    electionBackoffMaxMs: 200,
    appendLingerMs: 5,
    requestTimeoutMs: 500,
  });
  node.commits = [];
  client.register({
    handleCommit: (b: CommittedBatch) => node.commits.push(...b.records.map((r) => r.toString())),
    handleLoadSnapshot: () => undefined,
    handleLeaderChange: () => undefined,
  });
  node.log = log;
  node.transport = transport;
  node.client = client;
  await client.start();
}

async function stopClient(node: Node): Promise<void> {
  const c = node.client;
  node.client = null;
  await c?.close();
  node.transport?.close();
  for (const s of node.sockets) s.destroy();
  await node.log?.close();
  node.log = null;
}

async function waitFor<T>(what: string, fn: () => T | null | undefined | false, timeoutMs = 10_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function leaderOf(nodes: Node[]): Node | null {
  const leaders = nodes.filter((n) => n.client?.role === 'leader');
  if (leaders.length !== 1) return null;
  const l = leaders[0]!;
  const up = nodes.filter((n) => n.client !== null);
  return up.every((n) => n === l || (n.client!.role === 'follower' && n.client!.leaderId === l.id && n.client!.epoch === l.client!.epoch)) ? l : null;
}

/**
 * Appends each value through the current leader until it is committed there: a resolved append is only in
 * the leader's log and is lost if that leader is deposed before a majority holds it.
 */
async function appendAll(nodes: Node[], values: string[]): Promise<void> {
  for (const v of values) {
    for (;;) {
      const l = await waitFor('a leader', () => leaderOf(nodes.filter((n) => n.client !== null)));
      const ok = await l.client!.append(l.client!.epoch, [Buffer.from(v)]).then(() => true, () => false);
      if (ok) await waitFor('the commit or a new leader', () => l.commits.includes(v) || l.client?.role !== 'leader');
      if (l.commits.includes(v)) break;
    }
  }
}

/** Committed values with retried duplicates dropped. */
function committed(n: Node): string {
  return n.commits.filter((c, i, a) => a.indexOf(c) === i).join();
}

test('three voters over TCP: election, commits, leader loss, restart from files', { timeout: 60_000 }, async () => {
  const root = await mkdtemp(path.join(tmpdir(), 'raft-socket-'));
  const nodes: Node[] = [];
  try {
    for (const id of [1, 2, 3]) {
      const partial = { id, dir: path.join(root, `node-${id}`), sockets: new Set<Socket>(), client: null, log: null, transport: null, commits: [] as string[] };
      const { server, port } = await listen(partial);
      const node: Node = Object.assign(partial, { server, port });
      // The listener reads `node.client` at request time.
      nodes.push(node);
    }
    const voters = nodes.map((n) => ({ id: n.id, host: '127.0.0.1', port: n.port }));
    for (const n of nodes) await startClient(n, voters);

    const first = await waitFor('a leader', () => leaderOf(nodes));
    await appendAll(nodes, ['a', 'b', 'c']);
    await waitFor('commits everywhere', () => nodes.every((n) => committed(n) === 'a,b,c'));

    const firstEpoch = first.client!.epoch;
    await stopClient(first);
    const rest = nodes.filter((n) => n !== first);
    const second = await waitFor('a new leader', () => leaderOf(rest));
    assert.ok(second.client!.epoch > firstEpoch);
    await appendAll(rest, ['d', 'e']);
    await waitFor('commits on the two left', () => rest.every((n) => committed(n) === 'a,b,c,d,e'));

    await startClient(first, voters);
    await waitFor('the old leader catches up from its files and the leader', () => committed(first) === 'a,b,c,d,e');
    const leader = await waitFor('one leader for all three', () => leaderOf(nodes));
    assert.ok(leader.client!.epoch >= second.client!.epoch);
    await appendAll(nodes, ['f']);
    await waitFor('the last commit everywhere', () => nodes.every((n) => committed(n) === 'a,b,c,d,e,f'));
  } finally {
    for (const n of nodes) {
      await stopClient(n);
      await new Promise((r) => n.server.close(r));
    }
    await rm(root, { recursive: true, force: true });
  }
});
