/**
 * A simulated network between Raft nodes: every message takes a random delay, may be dropped, and is lost
 * when a link is cut (partition) or either end is down. A node that crashed and restarted is a new
 * incarnation: answers addressed to the old one are never delivered.
 */
import type { RaftTransport } from '../../../../src/cluster/raft/raft-transport.js';
import type { ApiSpec } from '../../../../src/protocol/schema/dsl.js';
import type { Prng } from './prng.js';
import type { Scheduler } from './scheduler.js';

export interface SimEndpoint {
  readonly up: boolean;
  readonly incarnation: number;
  handle(apiKey: number, version: number, body: unknown): Promise<unknown>;
}

export interface NetworkFaults {
  dropRate: number;
  minDelayMs: number;
  maxDelayMs: number;
}

export class SimNetwork {
  readonly endpoints = new Map<number, SimEndpoint>();
  /** Cut links, as "a-b" with a < b (both directions). */
  private readonly cut = new Set<string>();
  faults: NetworkFaults = { dropRate: 0, minDelayMs: 1, maxDelayMs: 10 };
  messages = 0;

  constructor(private readonly sched: Scheduler, private readonly rng: Prng) {}

  private key(a: number, b: number): string {
    return a < b ? `${a}-${b}` : `${b}-${a}`;
  }

  connected(a: number, b: number): boolean {
    return !this.cut.has(this.key(a, b));
  }

  cutLink(a: number, b: number): void {
    this.cut.add(this.key(a, b));
  }

  /** Cuts every link of `id`. */
  isolate(id: number): void {
    for (const other of this.endpoints.keys()) if (other !== id) this.cutLink(id, other);
  }

  healAll(): void {
    this.cut.clear();
  }

  private delayMs(): number {
    return this.rng.int(this.faults.minDelayMs, this.faults.maxDelayMs);
  }

  private deliverable(from: number, to: number): boolean {
    return this.connected(from, to) && !this.rng.chance(this.faults.dropRate);
  }

  transportFor(from: number): RaftTransport {
    return {
      send: <Res>(to: number, api: ApiSpec, version: number, body: object, timeoutMs: number): Promise<Res> =>
        this.send<Res>(from, to, api, version, body, timeoutMs),
      close: () => undefined,
    };
  }

  private send<Res>(from: number, to: number, api: ApiSpec, version: number, body: object, timeoutMs: number): Promise<Res> {
    const source = this.endpoints.get(from);
    const sourceIncarnation = source?.incarnation ?? -1;
    this.messages++;
    return new Promise<Res>((resolve, reject) => {
      let settled = false;
      const timer = this.sched.setTimeout(() => {
        if (settled) return;
        settled = true;
        reject(new Error(`${api.name} ${from}→${to} timed out`));
      }, timeoutMs);
      const finish = (fn: () => void): void => {
        if (settled) return;
        const src = this.endpoints.get(from);
        if (src === undefined || !src.up || src.incarnation !== sourceIncarnation) return; // the sender is gone
        settled = true;
        this.sched.clearTimeout(timer);
        fn();
      };
      if (!this.deliverable(from, to)) return;
      this.sched.setTimeout(() => {
        const dest = this.endpoints.get(to);
        if (dest === undefined || !dest.up || !this.connected(from, to)) return;
        const destIncarnation = dest.incarnation;
        dest.handle(api.apiKey, version, body).then(
          (res) => {
            if (!this.deliverable(to, from)) return;
            this.sched.setTimeout(() => {
              const d = this.endpoints.get(to);
              if (d === undefined || d.incarnation !== destIncarnation || !this.connected(from, to)) return;
              finish(() => resolve(res as Res));
            }, this.delayMs());
          },
          (err: unknown) => {
            this.sched.setTimeout(() => finish(() => reject(err instanceof Error ? err : new Error(String(err)))), this.delayMs());
          },
        );
      }, this.delayMs());
    });
  }
}
