/**
 * The faults and their seeded schedule. A schedule is a list of steps drawn from a PRNG seeded with
 * the run's seed: which kind, how long it lasts, how long the cluster rests after it, and which node
 * (by rule: "the leader of partition 2", "the active controller", "node index 4 of the live ones").
 * The rules are resolved against the cluster when the step runs, so the same seed replays the same
 * schedule; who leads at that moment is the cluster's doing.
 *
 * One fault at a time: each is injected, held, healed (a killed node restarted, a paused one
 * continued, every cut link restored), then the cluster rests before the next.
 */
import { mulberry32 } from '../test/helpers/fuzz.js';
import type { ChaosCluster } from './cluster.js';
import type { History } from './history.js';

export type FaultKind = 'kill' | 'kill-leader' | 'kill-controller' | 'pause' | 'isolate-leader' | 'isolate-controller' | 'split' | 'bridge' | 'one-way' | 'all-down' | 'lagging-survivor';

export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'kill-leader', 'kill-controller', 'pause', 'isolate-leader', 'isolate-controller', 'split', 'bridge', 'one-way', 'all-down', 'lagging-survivor'];

export interface FaultStep {
  kind: FaultKind;
  holdMs: number;
  restMs: number;
  /** Random draws the step resolves its targets with (partition index, node choices). */
  pick: number[];
}

/** The seeded PRNG the fuzzers use (mulberry32): the same sequence everywhere for a seed. */
export const prng = mulberry32;

/**
 * `count` steps over `kinds`; the first `kinds.length` steps are every kind once in a seeded order
 * (so a short run still has each), then seeded draws. Holds are long enough to outlast the broker
 * session timeout for pauses and kills about half the time.
 */
export function schedule(seed: number, count: number, kinds: readonly FaultKind[], timing: { holdMs: [number, number]; restMs: [number, number] }): FaultStep[] {
  const rnd = prng(seed);
  const between = ([lo, hi]: [number, number]): number => Math.round(lo + rnd() * (hi - lo));
  const order = [...kinds];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const steps: FaultStep[] = [];
  for (let i = 0; i < count; i++) {
    const kind = i < order.length ? order[i]! : kinds[Math.floor(rnd() * kinds.length)]!;
    steps.push({ kind, holdMs: between(timing.holdMs), restMs: between(timing.restMs), pick: [rnd(), rnd(), rnd()] });
  }
  return steps;
}

function choose<T>(items: readonly T[], r: number): T {
  return items[Math.min(items.length - 1, Math.floor(r * items.length))]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface FaultContext {
  cluster: ChaosCluster;
  history: History;
  topic: string;
  partitions: number;
}

async function leaderOf(ctx: FaultContext, partition: number): Promise<number> {
  return (await ctx.cluster.partitionFromAny(ctx.topic, partition))?.leader ?? -1;
}

/** Runs one step: inject, hold, heal. Returns what it did, for the report. */
export async function runStep(ctx: FaultContext, step: FaultStep): Promise<string> {
  const { cluster, history } = ctx;
  const ids = cluster.nodes.map((n) => n.id);
  const [r0, r1, r2] = step.pick as [number, number, number];
  const fault = (detail: string): void => history.add({ t: Date.now(), type: 'fault', kind: step.kind, detail });
  const heal = (detail: string): void => history.add({ t: Date.now(), type: 'heal', kind: step.kind, detail });
  const target = async (): Promise<number> => {
    if (step.kind === 'kill-leader' || step.kind === 'isolate-leader') {
      const l = await leaderOf(ctx, Math.floor(r0 * ctx.partitions));
      if (l >= 0) return l;
    }
    if (step.kind === 'kill-controller' || step.kind === 'isolate-controller') {
      const c = await cluster.activeController();
      if (c >= 0) return c;
    }
    return choose(ids, r1);
  };
  switch (step.kind) {
    case 'kill':
    case 'kill-leader':
    case 'kill-controller': {
      const victim = await target();
      fault(`SIGKILL node ${victim}`);
      await cluster.kill(victim);
      await sleep(step.holdMs);
      await cluster.restart(victim);
      heal(`node ${victim} restarted`);
      return `${step.kind} ${victim} for ${step.holdMs} ms`;
    }
    case 'pause': {
      const victim = await target();
      fault(`SIGSTOP node ${victim}`);
      cluster.signal(victim, 'SIGSTOP');
      await sleep(step.holdMs);
      cluster.signal(victim, 'SIGCONT');
      heal(`SIGCONT node ${victim}`);
      return `pause ${victim} for ${step.holdMs} ms`;
    }
    case 'isolate-leader':
    case 'isolate-controller': {
      const victim = await target();
      const rest = ids.filter((id) => id !== victim);
      fault(`isolate node ${victim} from [${rest.join(',')}]`);
      await cluster.net.partition([victim], rest);
      await sleep(step.holdMs);
      await cluster.net.heal();
      heal('links restored');
      return `${step.kind} ${victim} for ${step.holdMs} ms`;
    }
    case 'split': {
      const rs = prng(Math.floor(r0 * 4294967296));
      const shuffled = [...ids];
      for (let i = shuffled.length - 1; i > 0; i--) {
        const j = Math.floor(rs() * (i + 1));
        [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
      }
      const minority = shuffled.slice(0, Math.floor(ids.length / 2));
      const majority = shuffled.slice(minority.length);
      fault(`split [${majority.join(',')}] | [${minority.join(',')}]`);
      await cluster.net.partition(majority, minority);
      await sleep(step.holdMs);
      await cluster.net.heal();
      heal('links restored');
      return `split ${majority.join(',')}|${minority.join(',')} for ${step.holdMs} ms`;
    }
    case 'bridge': {
      // Two halves that only one node (the bridge) sees both of (Jepsen's "bridge").
      const bridge = choose(ids, r0);
      const others = ids.filter((id) => id !== bridge);
      const half = Math.ceil(others.length / 2);
      const a = others.slice(0, half);
      const b = others.slice(half);
      fault(`bridge: [${a.join(',')}] and [${b.join(',')}] only through ${bridge}`);
      await cluster.net.partition(a, b);
      await sleep(step.holdMs);
      await cluster.net.heal();
      heal('links restored');
      return `bridge via ${bridge} for ${step.holdMs} ms`;
    }
    case 'one-way': {
      const from = choose(ids, r1);
      const to = choose(ids.filter((id) => id !== from), r2);
      fault(`drop ${from} -> ${to}`);
      await cluster.net.cutOneWay(from, to);
      await sleep(step.holdMs);
      await cluster.net.heal();
      heal('links restored');
      return `one-way ${from}->${to} for ${step.holdMs} ms`;
    }
    case 'lagging-survivor': {
      // Jepsen's 2013 Kafka case: a follower falls out of the ISR (cut from the other replicas past
      // replica.lag.time.max.ms while acks=all goes on), then every ISR member dies and the links heal:
      // only the lagging replica is left. It must not lead (no unclean election by default): the
      // partition stays offline until an ISR member returns. On 3 nodes this also takes the quorum down.
      const partition = Math.floor(r0 * ctx.partitions);
      const view = await cluster.partitionFromAny(ctx.topic, partition);
      const followers = view && view.leader >= 0 ? view.replicas.filter((r) => r !== view.leader) : [];
      if (!view || followers.length === 0) return `lagging-survivor skipped: partition ${partition} has no leader`;
      const survivor = choose(followers, r1);
      const isr = view.replicas.filter((r) => r !== survivor);
      fault(`node ${survivor} (a follower of partition ${partition}) cut from [${isr.join(',')}]`);
      await cluster.net.partition([survivor], isr);
      await sleep(Math.max(step.holdMs, 4500));
      fault(`SIGKILL the other replicas [${isr.join(',')}] of partition ${partition}; links restored`);
      await Promise.all(isr.map((id) => cluster.kill(id)));
      await cluster.net.heal();
      await sleep(Math.min(step.holdMs, 4000));
      await Promise.all(isr.map((id) => cluster.restart(id)));
      heal(`nodes ${isr.join(',')} restarted`);
      return `lagging-survivor ${survivor} of partition ${partition}`;
    }
    case 'all-down': {
      fault(`SIGKILL every node`);
      await Promise.all(ids.map((id) => cluster.kill(id)));
      await sleep(Math.min(step.holdMs, 3000));
      await Promise.all(ids.map((id) => cluster.restart(id)));
      heal('every node restarted');
      return `all-down for ${Math.min(step.holdMs, 3000)} ms`;
    }
  }
}
