/**
 * The chaos cluster's network: each node in its own network namespace with its own address on a
 * veth pair to one bridge, and an nftables table in every namespace whose two sets say which peers'
 * packets are dropped (input from, output to). A partition is a black hole, as in Jepsen: nothing is
 * refused or reset, packets vanish, so peers see timeouts. The harness (and its clients) stay in the
 * root namespace and reach every node over the bridge; only node-to-node links are cut.
 *
 * Everything a run creates is named after its run id (namespaces `trbc-<id>-<n>`, bridge `trbc<id>`)
 * and written down in a state file (`$TMPDIR/tributary-chaos/<id>.json`) with the owner's pid before it
 * is created, so `destroy()` — and `sweepAbandoned()` after a run that was SIGKILLed — removes exactly
 * those, never anything else on the machine.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const STATE_DIR = path.join(os.tmpdir(), 'tributary-chaos');

interface NetState {
  id: string;
  ownerPid: number;
  namespaces: string[];
  bridge: string;
}

function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: 15_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${stderr.trim() || err.message}`));
      else resolve(stdout);
    });
    if (input !== undefined) child.stdin!.end(input);
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why this machine cannot run the namespace network, or null when it can (root, `ip` and `nft`). */
export async function netnsUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'the chaos network needs root (network namespaces, veth, nftables)';
  for (const [cmd, args] of [['ip', ['-V']], ['nft', ['--version']]] as const) {
    try {
      await run(cmd, args);
    } catch {
      return `\`${cmd}\` is missing (Debian packages iproute2 and nftables)`;
    }
  }
  return null;
}

async function removeState(state: NetState): Promise<void> {
  for (const ns of state.namespaces) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  await run('ip', ['link', 'del', state.bridge]).catch(() => undefined);
  fs.rmSync(path.join(STATE_DIR, `${state.id}.json`), { force: true });
}

/** Removes the namespaces and bridges of earlier runs whose owner process is gone. Returns their ids. */
export async function sweepAbandoned(): Promise<string[]> {
  if (!fs.existsSync(STATE_DIR)) return [];
  const swept: string[] = [];
  for (const file of fs.readdirSync(STATE_DIR)) {
    if (!file.endsWith('.json')) continue;
    let state: NetState;
    try {
      state = JSON.parse(fs.readFileSync(path.join(STATE_DIR, file), 'utf8')) as NetState;
    } catch {
      continue;
    }
    if (alive(state.ownerPid)) continue;
    await removeState(state);
    swept.push(state.id);
  }
  return swept;
}

export class NamespaceNetwork {
  private destroyed = false;
  /** Per node: the peers whose packets it drops, by direction. */
  private readonly cuts: Array<{ inFrom: Set<number>; outTo: Set<number> }>;

  private constructor(
    private readonly state: NetState,
    /** The node addresses, index = node id. */
    readonly addresses: readonly string[],
    /** The root namespace's address on the bridge (where the clients connect from). */
    readonly hostAddress: string,
  ) {
    this.cuts = addresses.map(() => ({ inFrom: new Set<number>(), outTo: new Set<number>() }));
  }

  get id(): string {
    return this.state.id;
  }

  namespaceOf(node: number): string {
    return this.state.namespaces[node]!;
  }

  static async create(nodes: number): Promise<NamespaceNetwork> {
    const why = await netnsUnavailable();
    if (why !== null) throw new Error(why);
    await sweepAbandoned();
    const id = randomBytes(2).toString('hex');
    const used = await run('ip', ['-o', '-4', 'addr', 'show']);
    let prefix = '';
    for (let i = 0; i < 64 && prefix === ''; i++) {
      const candidate = `10.${200 + (randomBytes(1)[0]! % 50)}.${randomBytes(1)[0]! % 250}`;
      if (!used.includes(` ${candidate}.`)) prefix = candidate;
    }
    if (prefix === '') throw new Error('no free 10.x.y.0/24 for the chaos bridge');
    const state: NetState = { id, ownerPid: process.pid, namespaces: Array.from({ length: nodes }, (_, n) => `trbc-${id}-${n}`), bridge: `trbc${id}` };
    fs.mkdirSync(STATE_DIR, { recursive: true });
    fs.writeFileSync(path.join(STATE_DIR, `${id}.json`), JSON.stringify(state));
    const net = new NamespaceNetwork(state, state.namespaces.map((_, n) => `${prefix}.${10 + n}`), `${prefix}.1`);
    try {
      await run('ip', ['link', 'add', state.bridge, 'type', 'bridge']);
      await run('ip', ['addr', 'add', `${net.hostAddress}/24`, 'dev', state.bridge]);
      await run('ip', ['link', 'set', state.bridge, 'up']);
      for (let n = 0; n < nodes; n++) {
        const ns = state.namespaces[n]!;
        const host = `trbc${id}h${n}`;
        const peer = `trbc${id}p${n}`;
        await run('ip', ['netns', 'add', ns]);
        await run('ip', ['link', 'add', host, 'type', 'veth', 'peer', 'name', peer]);
        await run('ip', ['link', 'set', peer, 'netns', ns]);
        await run('ip', ['link', 'set', host, 'master', state.bridge]);
        await run('ip', ['link', 'set', host, 'up']);
        const inNs = (...args: string[]): Promise<string> => run('ip', ['netns', 'exec', ns, 'ip', ...args]);
        await inNs('link', 'set', 'lo', 'up');
        await inNs('link', 'set', peer, 'name', 'eth0');
        await inNs('addr', 'add', `${net.addresses[n]}/24`, 'dev', 'eth0');
        await inNs('link', 'set', 'eth0', 'up');
        await run('ip', ['netns', 'exec', ns, 'nft', '-f', '-'], [
          'table inet chaos {',
          '  set blocked_in { type ipv4_addr; }',
          '  set blocked_out { type ipv4_addr; }',
          '  chain input { type filter hook input priority 0; policy accept; ip saddr @blocked_in drop; }',
          '  chain output { type filter hook output priority 0; policy accept; ip daddr @blocked_out drop; }',
          '}',
          '',
        ].join('\n'));
      }
    } catch (err) {
      await net.destroy();
      throw err;
    }
    return net;
  }

  /** Drops packets from `from` to `to` (one direction: `to` still reaches `from`). */
  async cutOneWay(from: number, to: number): Promise<void> {
    if (from === to) return;
    this.cuts[from]!.outTo.add(to);
    this.cuts[to]!.inFrom.add(from);
    await this.apply([from, to]);
  }

  /** Cuts both directions between every node of `a` and every node of `b`. */
  async partition(a: readonly number[], b: readonly number[]): Promise<void> {
    for (const x of a) {
      for (const y of b) {
        if (x === y) continue;
        this.cuts[x]!.outTo.add(y);
        this.cuts[x]!.inFrom.add(y);
        this.cuts[y]!.outTo.add(x);
        this.cuts[y]!.inFrom.add(x);
      }
    }
    await this.apply([...new Set([...a, ...b])]);
  }

  /** Every link forwards again. */
  async heal(): Promise<void> {
    const touched: number[] = [];
    this.cuts.forEach((c, n) => {
      if (c.inFrom.size + c.outTo.size === 0) return;
      c.inFrom.clear();
      c.outTo.clear();
      touched.push(n);
    });
    await this.apply(touched);
  }

  /** Human-readable cut links, e.g. "0-x>1 2-x>1". */
  describeCuts(): string {
    const out: string[] = [];
    this.cuts.forEach((c, n) => c.outTo.forEach((to) => out.push(`${n}-x>${to}`)));
    return out.join(' ');
  }

  private async apply(nodes: readonly number[]): Promise<void> {
    for (const n of nodes) {
      const c = this.cuts[n]!;
      const elements = (set: Set<number>): string => [...set].map((peer) => this.addresses[peer]).join(', ');
      const script = ['flush set inet chaos blocked_in', 'flush set inet chaos blocked_out'];
      if (c.inFrom.size > 0) script.push(`add element inet chaos blocked_in { ${elements(c.inFrom)} }`);
      if (c.outTo.size > 0) script.push(`add element inet chaos blocked_out { ${elements(c.outTo)} }`);
      await run('ip', ['netns', 'exec', this.state.namespaces[n]!, 'nft', '-f', '-'], script.join('\n') + '\n');
    }
  }

  /** Removes the namespaces (their veths go with them) and the bridge. Idempotent. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    await removeState(this.state);
  }
}
