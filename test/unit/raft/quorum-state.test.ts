import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileQuorumStateStore, INITIAL_ELECTION_STATE, QUORUM_STATE_FILE } from '../../../src/cluster/raft/quorum-state.js';

test('quorum-state: Kafka JSON, atomic replace, -1 for none, initial state when absent', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'raft-qs-'));
  try {
    const store = new FileQuorumStateStore(dir, [1, 2, 3], 'cid');
    assert.deepEqual(await store.read(), INITIAL_ELECTION_STATE);
    await store.write({ epoch: 7, leaderId: null, votedId: 2 });
    const json = JSON.parse(await readFile(path.join(dir, QUORUM_STATE_FILE), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(json, { clusterId: 'cid', leaderId: -1, leaderEpoch: 7, votedId: 2, appliedOffset: 0, currentVoters: [{ voterId: 1 }, { voterId: 2 }, { voterId: 3 }], data_version: 0 });
    await store.write({ epoch: 8, leaderId: 3, votedId: null });
    assert.deepEqual(await new FileQuorumStateStore(dir, [1, 2, 3]).read(), { epoch: 8, leaderId: 3, votedId: null });
    assert.deepEqual((await readdir(dir)).sort(), [QUORUM_STATE_FILE], 'no temp file left behind');
    await writeFile(path.join(dir, QUORUM_STATE_FILE), '{"leaderEpoch":"x"}');
    await assert.rejects(store.read(), /malformed/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
