/**
 * The faults and their seeded schedule. A schedule is a list of steps drawn from a PRNG seeded with
 * the run's seed: which faults, when each starts and how long it holds, how long the cluster rests
 * after the step, and which node each hits (by rule: "the leader of partition 2", "the active
 * controller", "node index 4 of the live ones"). The rules are resolved against the cluster when the
 * fault starts, so the same seed replays the same schedule; who leads at that moment is the
 * cluster's doing.
 *
 * Faults compose, as Jepsen's nemeses do. A step holds one fault, or a base fault with faults of the
 * other class running under it, back to back, for as long as the base lasts: a process fault (kill,
 * kill-leader, kill-controller, pause) with link cuts (isolate-leader, isolate-controller, split,
 * bridge, one-way) under it, or a cut with process faults under it. So a killed node's restart meets
 * a split, a pause a one-way cut, a partition a leader kill. Under the base, one fault of the other
 * class at a time: two process faults would take two of three nodes (that is all-down's job), and two
 * cuts would have to be healed apart. The cluster-wide faults (all-down, lagging-survivor: they kill
 * and cut on their own) run alone. A step ends with every one of its faults healed (a killed node
 * restarted, a paused one continued, every cut link restored); then the cluster rests.
 *
 * Restarts: a restarted node is ready only once the controller unfences it, seconds later (the old
 * incarnation's session must expire first). A killed base lasts until then, with cuts under it; any
 * other restart is not waited for: cuts go on while the node starts, and the next fault that stops a
 * process waits until it is ready. So outside all-down and lagging-survivor at most one node is down,
 * paused or starting at a time.
 */
import { mulberry32 } from '../test/helpers/fuzz.js';
import type { ChaosCluster } from './cluster.js';
import type { History } from './history.js';

export type FaultKind = 'kill' | 'kill-leader' | 'kill-controller' | 'pause' | 'isolate-leader' | 'isolate-controller' | 'split' | 'bridge' | 'one-way' | 'all-down' | 'lagging-survivor';

export const FAULT_KINDS: readonly FaultKind[] = ['kill', 'kill-leader', 'kill-controller', 'pause', 'isolate-leader', 'isolate-controller', 'split', 'bridge', 'one-way', 'all-down', 'lagging-survivor'];

/** What a fault breaks, which says what it may overlap with (see the file comment). */
export type FaultClass = 'process' | 'network' | 'cluster';

export const FAULT_CLASS: Readonly<Record<FaultKind, FaultClass>> = {
  kill: 'process',
  'kill-leader': 'process',
  'kill-controller': 'process',
  pause: 'process',
  'isolate-leader': 'network',
  'isolate-controller': 'network',
  split: 'network',
  bridge: 'network',
  'one-way': 'network',
  'all-down': 'cluster',
  'lagging-survivor': 'cluster',
};

export interface Fault {
  kind: FaultKind;
  /**
   * When it starts. The base: at the step's start (0). The first fault under it: this long after the
   * step's start, within the base's hold. Each later one: this long after the one before healed, and
   * only if the base has not healed by then.
   */
  startMs: number;
  holdMs: number;
  /** Random draws the fault resolves its targets with (partition index, node choices). */
  pick: number[];
}

export interface FaultStep {
  /** The base fault, then the faults of the other class that may run under it (at most MAX_UNDER). */
  faults: Fault[];
  restMs: number;
}

export interface ScheduleTiming {
  holdMs: [number, number];
  restMs: [number, number];
  /**
   * The chance (0–1) that a process or network fault is the base of a composed step. 0 draws the
   * one-at-a-time schedule of earlier runs, draw for draw (their replay commands have no --overlap);
   * only a cut may then start while a node killed before it is still starting (see runFault).
   */
  overlap?: number;
}

/**
 * How many faults a composed step may run under its base. It bounds the step: a killed node's restart
 * waits until it can reach the controller, which a run of cuts under it can delay.
 */
export const MAX_UNDER = 5;

/** The seeded PRNG the fuzzers use (mulberry32): the same sequence everywhere for a seed. */
export const prng = mulberry32;

/**
 * `count` steps over `kinds`. The first steps are every kind once in a seeded order (a short run still
 * has each; a composed step takes the next kind of the other class as the first fault under its base,
 * which always runs), then seeded draws. Holds are long enough to outlast the broker session timeout
 * for pauses and kills about half the time (with the default range). The gaps between faults under a
 * base are drawn from the rest range.
 */
export function schedule(seed: number, count: number, kinds: readonly FaultKind[], timing: ScheduleTiming): FaultStep[] {
  const rnd = prng(seed);
  const between = ([lo, hi]: [number, number]): number => Math.round(lo + rnd() * (hi - lo));
  const overlap = timing.overlap ?? 0;
  if (!(overlap >= 0 && overlap <= 1)) throw new Error(`overlap must be within 0..1, got ${overlap}`);
  const order = [...kinds];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const otherClass = (k: FaultKind): FaultClass | null => (FAULT_CLASS[k] === 'process' ? 'network' : FAULT_CLASS[k] === 'network' ? 'process' : null);
  const steps: FaultStep[] = [];
  // Every step draws the same number of values whatever they turn out to be (with overlap > 0), so a
  // schedule is a function of (seed, kinds, timing) alone.
  while (steps.length < count) {
    const kind = order.length > 0 ? order.shift()! : kinds[Math.floor(rnd() * kinds.length)]!;
    const base: Fault = { kind, startMs: 0, holdMs: between(timing.holdMs), pick: [] };
    const restMs = between(timing.restMs);
    base.pick = [rnd(), rnd(), rnd()];
    const step: FaultStep = { faults: [base], restMs };
    if (overlap > 0) {
      const coin = rnd();
      const cls = otherClass(kind);
      const partners = cls === null ? [] : kinds.filter((k) => FAULT_CLASS[k] === cls);
      for (let i = 0; i < MAX_UNDER; i++) {
        const kindDraw = rnd();
        const startMs = i === 0 ? Math.floor(rnd() * base.holdMs) : between(timing.restMs);
        const holdMs = between(timing.holdMs);
        const pick = [rnd(), rnd(), rnd()];
        if (coin >= overlap || partners.length === 0) continue;
        // While the first round lasts, the first fault under the base is the next kind of its class not yet run.
        const pendingAt = i === 0 ? order.findIndex((k) => FAULT_CLASS[k] === cls) : -1;
        const under = pendingAt >= 0 ? order.splice(pendingAt, 1)[0]! : partners[Math.floor(kindDraw * partners.length)]!;
        step.faults.push({ kind: under, startMs, holdMs, pick });
      }
    }
    steps.push(step);
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

/** What one fault of a step did. */
export interface FaultRun {
  kind: FaultKind;
  detail: string;
}

/**
 * Runs one step: the base fault, and under it (from its `startMs`) the faults of the other class one
 * after another until the base has healed; resolves once every fault started has healed. Returns the
 * faults that ran (a composed step's later ones may not have).
 */
export async function runStep(ctx: FaultContext, step: FaultStep): Promise<FaultRun[]> {
  const [base, ...under] = step.faults as [Fault, ...Fault[]];
  // The composition rules the schedule keeps (file comment): a step that broke them could have one
  // fault's cut healed by another's heal, or two nodes down where one was meant.
  const baseClass = FAULT_CLASS[base.kind];
  if (under.length > 0 && (baseClass === 'cluster' || under.some((f) => FAULT_CLASS[f.kind] === baseClass || FAULT_CLASS[f.kind] === 'cluster'))) {
    throw new Error(`a step may not compose ${step.faults.map((f) => f.kind).join(', ')}`);
  }
  const ran: FaultRun[] = [];
  let baseHealed = false;
  const baseRun = runFault(ctx, base).then(async (detail) => {
    // A killed base lasts until its node is ready again, so the cuts under it meet the restart.
    if (under.length > 0 && baseClass === 'process') await ctx.cluster.settled();
    baseHealed = true;
    ran.push({ kind: base.kind, detail });
  });
  const underRun = (async (): Promise<void> => {
    for (const [i, f] of under.entries()) {
      // The first starts within the base's hold, so it always runs (the schedule's first round relies on it).
      if (i > 0 && baseHealed) return;
      await sleep(f.startMs);
      if (i > 0 && baseHealed) return;
      ran.push({ kind: f.kind, detail: await runFault(ctx, f) });
    }
  })();
  await Promise.all([baseRun, underRun]);
  return ran;
}

/** One fault: inject, hold, heal. */
async function runFault(ctx: FaultContext, f: Fault): Promise<string> {
  const { cluster, history } = ctx;
  const ids = cluster.nodes.map((n) => n.id);
  const [r0, r1, r2] = f.pick as [number, number, number];
  const fault = (detail: string): void => history.add({ t: Date.now(), type: 'fault', kind: f.kind, detail });
  const heal = (detail: string): void => history.add({ t: Date.now(), type: 'heal', kind: f.kind, detail });
  const ready = (id: number) => (ms: number): void => history.add({ t: Date.now(), type: 'note', detail: `node ${id} ready ${ms} ms after its restart` });
  // A fault that stops a process waits until every restart begun is ready: one node down or starting at
  // a time (all-down takes them all on purpose). Cuts do not wait: a restart under a cut is a fault too.
  if (FAULT_CLASS[f.kind] !== 'network') await cluster.settled();
  const target = async (): Promise<number> => {
    if (f.kind === 'kill-leader' || f.kind === 'isolate-leader') {
      const l = await leaderOf(ctx, Math.floor(r0 * ctx.partitions));
      if (l >= 0) return l;
    }
    if (f.kind === 'kill-controller' || f.kind === 'isolate-controller') {
      const c = await cluster.activeController();
      if (c >= 0) return c;
    }
    return choose(ids, r1);
  };
  switch (f.kind) {
    case 'kill':
    case 'kill-leader':
    case 'kill-controller': {
      const victim = await target();
      fault(`SIGKILL node ${victim}`);
      await cluster.kill(victim);
      await sleep(f.holdMs);
      await cluster.beginRestart(victim, ready(victim));
      heal(`node ${victim} restarting`);
      return `${f.kind} ${victim} for ${f.holdMs} ms`;
    }
    case 'pause': {
      const victim = await target();
      fault(`SIGSTOP node ${victim}`);
      cluster.signal(victim, 'SIGSTOP');
      await sleep(f.holdMs);
      cluster.signal(victim, 'SIGCONT');
      heal(`SIGCONT node ${victim}`);
      return `pause ${victim} for ${f.holdMs} ms`;
    }
    case 'isolate-leader':
    case 'isolate-controller': {
      const victim = await target();
      const rest = ids.filter((id) => id !== victim);
      fault(`isolate node ${victim} from [${rest.join(',')}]`);
      await cluster.net.partition([victim], rest);
      await sleep(f.holdMs);
      await cluster.net.heal();
      heal('links restored');
      return `${f.kind} ${victim} for ${f.holdMs} ms`;
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
      await sleep(f.holdMs);
      await cluster.net.heal();
      heal('links restored');
      return `split ${majority.join(',')}|${minority.join(',')} for ${f.holdMs} ms`;
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
      await sleep(f.holdMs);
      await cluster.net.heal();
      heal('links restored');
      return `bridge via ${bridge} for ${f.holdMs} ms`;
    }
    case 'one-way': {
      const from = choose(ids, r1);
      const to = choose(ids.filter((id) => id !== from), r2);
      fault(`drop ${from} -> ${to}`);
      await cluster.net.cutOneWay(from, to);
      await sleep(f.holdMs);
      await cluster.net.heal();
      heal('links restored');
      return `one-way ${from}->${to} for ${f.holdMs} ms`;
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
      await sleep(Math.max(f.holdMs, 4500));
      fault(`SIGKILL the other replicas [${isr.join(',')}] of partition ${partition}; links restored`);
      await Promise.all(isr.map((id) => cluster.kill(id)));
      await cluster.net.heal();
      await sleep(Math.min(f.holdMs, 4000));
      for (const id of isr) await cluster.beginRestart(id, ready(id));
      heal(`nodes ${isr.join(',')} restarting`);
      return `lagging-survivor ${survivor} of partition ${partition}`;
    }
    case 'all-down': {
      fault(`SIGKILL every node`);
      await Promise.all(ids.map((id) => cluster.kill(id)));
      await sleep(Math.min(f.holdMs, 3000));
      for (const id of ids) await cluster.beginRestart(id, ready(id));
      heal('every node restarting');
      return `all-down for ${Math.min(f.holdMs, 3000)} ms`;
    }
  }
}
