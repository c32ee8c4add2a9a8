/**
 * Seeded simulation: clients that follow the classic protocol (join, sync, heartbeat, rejoin on the
 * errors that say so) run against the coordinator on a fake clock while some of them crash, leave
 * and restart at random. Checked: the coordinator never throws, no request stays parked longer than
 * the bounds it promises, and once the chaos stops the group converges to Stable with exactly the
 * live clients, each holding the assignment its leader gave it. A failure names its seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { mulberry32 } from '../../helpers/fuzz.js';
import { bench, joinParams, type Bench } from './harness.js';

const TICK_MS = 1000;
const SESSION_MS = 10_000;
const REBALANCE_MS = 15_000;
/** No request may stay parked longer than this (rebalance timeout plus slack for chained phases). */
const MAX_PARK_MS = 3 * REBALANCE_MS + SESSION_MS;

type Phase = 'down' | 'joining' | 'syncing' | 'stable' | 'busy';

class SimClient {
  phase: Phase = 'down';
  memberId = '';
  generationId = -1;
  assignment = '';
  downUntil = 0;
  readonly instanceId: string | null;

  constructor(readonly name: string, isStatic: boolean, private readonly b: Bench, private readonly log: string[]) {
    this.instanceId = isStatic ? `inst-${name}` : null;
  }

  private async track<T>(what: string, p: Promise<T>): Promise<T> {
    const started = this.b.time.now();
    this.phase = 'busy';
    const r = await p;
    const waited = this.b.time.now() - started;
    if (waited > MAX_PARK_MS) throw new Error(`${this.name}: ${what} parked for ${waited} ms`);
    return r;
  }

  private isBusy(): boolean {
    return this.phase === 'busy';
  }

  async join(): Promise<void> {
    const params = joinParams('g', this.memberId, { groupInstanceId: this.instanceId, clientId: this.name, sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: REBALANCE_MS });
    const r = await this.track('join', this.b.coordinator.joinGroup(params));
    if (!this.isBusy()) return; // crashed meanwhile
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
      this.memberId = r.memberId;
      this.phase = 'joining';
      return;
    }
    if (r.errorCode !== ErrorCode.NONE) {
      this.log.push(`${this.name} join error ${r.errorCode}`);
      if (r.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      if (r.errorCode === ErrorCode.FENCED_INSTANCE_ID) this.crash(0);
      else this.phase = 'joining';
      return;
    }
    this.memberId = r.memberId;
    this.generationId = r.generationId;
    this.phase = 'syncing';
    const assignments = r.members.map((m) => ({ memberId: m.memberId, assignment: Buffer.from(`for-${m.groupInstanceId ?? m.memberId}@${r.generationId}`) }));
    const isLeader = r.leader === r.memberId && !r.skipAssignment;
    const s = await this.track('sync', this.b.coordinator.syncGroup({ groupId: 'g', generationId: r.generationId, memberId: this.memberId, groupInstanceId: this.instanceId, protocolType: 'consumer', protocolName: r.protocolName, assignments: isLeader ? assignments : [] }));
    if (!this.isBusy()) return;
    if (s.errorCode === ErrorCode.NONE) {
      this.assignment = s.assignment.toString();
      this.phase = 'stable';
    } else {
      this.log.push(`${this.name} sync error ${s.errorCode}`);
      if (s.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
      if (s.errorCode === ErrorCode.FENCED_INSTANCE_ID) this.crash(0);
      else this.phase = 'joining';
    }
  }

  heartbeat(): void {
    const code = this.b.coordinator.heartbeat({ groupId: 'g', generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.instanceId });
    if (code === ErrorCode.NONE) return;
    this.log.push(`${this.name} heartbeat error ${code}`);
    if (code === ErrorCode.UNKNOWN_MEMBER_ID) this.memberId = '';
    if (code === ErrorCode.FENCED_INSTANCE_ID) this.crash(0);
    else this.phase = 'joining';
  }

  /** Dies without a word (a static member keeps its instance id for the restart). */
  crash(downForMs: number): void {
    this.phase = 'down';
    this.memberId = '';
    this.assignment = '';
    this.downUntil = this.b.time.now() + downForMs;
  }

  leave(downForMs: number): void {
    if (this.memberId) this.b.coordinator.leaveGroup('g', [{ memberId: this.memberId, groupInstanceId: this.instanceId, reason: 'sim' }]);
    this.crash(downForMs);
  }

  /** One tick of a well-behaved client. */
  step(): void {
    switch (this.phase) {
      case 'down':
        if (this.b.time.now() >= this.downUntil) this.phase = 'joining';
        return;
      case 'joining':
        void this.join().catch((err: unknown) => this.log.push(`FATAL ${String(err)}`));
        return;
      case 'stable':
        this.heartbeat();
        return;
      case 'syncing':
      case 'busy':
        return;
    }
  }
}

async function simulate(seed: number): Promise<void> {
  const rnd = mulberry32(seed);
  const b = bench({ initialRebalanceDelayMs: 2000 });
  const log: string[] = [];
  const clients = Array.from({ length: 5 }, (_, i) => new SimClient(`c${i}`, i % 2 === 1, b, log));
  const context = (): string => `seed ${seed}\n${log.slice(-40).join('\n')}\n${JSON.stringify(b.coordinator.describeGroup('g'), (k, v) => (k === 'metadata' || k === 'assignment' ? undefined : v))}`;

  // Chaos: 5 simulated minutes of random crashes, leaves and restarts.
  for (let t = 0; t < 300; t += 1) {
    for (const c of clients) {
      const r = rnd();
      if (c.phase !== 'down' && r < 0.01) c.crash(Math.floor(rnd() * 30_000));
      else if (c.phase === 'stable' && r < 0.015) c.leave(Math.floor(rnd() * 20_000));
      else c.step();
    }
    await b.time.advance(TICK_MS);
    assert.ok(!log.some((l) => l.startsWith('FATAL')), context());
  }

  // Calm: everyone comes back and behaves for 3 minutes.
  for (const c of clients) if (c.phase === 'down') c.downUntil = 0;
  for (let t = 0; t < 180; t += 1) {
    for (const c of clients) c.step();
    await b.time.advance(TICK_MS);
  }
  assert.ok(!log.some((l) => l.startsWith('FATAL')), context());

  const d = b.coordinator.describeGroup('g');
  assert.equal(d.state, 'Stable', context());
  assert.deepEqual(d.members.map((m) => m.memberId).sort(), clients.map((c) => c.memberId).sort(), `members are exactly the live clients\n${context()}`);
  for (const c of clients) {
    assert.equal(c.phase, 'stable', `${c.name}\n${context()}`);
    // A static member keeps its assignment across restarts, so it is addressed by instance id.
    assert.match(c.assignment, new RegExp(`^for-${c.instanceId ?? c.memberId}@`), `${c.name} holds its own assignment\n${context()}`);
    const described = d.members.find((m) => m.memberId === c.memberId)!;
    assert.equal(described.assignment.toString(), c.assignment);
  }
  b.coordinator.close();
}

for (const seed of [1, 2, 3, 42, 1234, 99_999]) {
  test(`simulation converges (seed ${seed})`, () => simulate(seed));
}
