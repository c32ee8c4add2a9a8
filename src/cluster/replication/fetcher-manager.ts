/**
 * Which ReplicaFetcher carries which followed partition (Kafka's ReplicaFetcherManager): fetchers are
 * keyed by source broker and fetcher index — a partition goes to fetcher `hash(topic, partition) %
 * num.replica.fetchers` of its leader — and are rebuilt when the leader's endpoint changes (a broker that
 * restarted on another port). A fetcher left without partitions is stopped.
 */
import type { Partition } from './partition.js';
import { ReplicaFetcher, type FetcherEndpoint, type ReplicaFetcherOptions } from './replica-fetcher.js';

export type FetcherFactory = (sourceBrokerId: number, endpoint: FetcherEndpoint) => ReplicaFetcher;

function hashOf(topic: string, partition: number): number {
  let h = partition | 0;
  for (let i = 0; i < topic.length; i++) h = (Math.imul(h, 31) + topic.charCodeAt(i)) | 0;
  return Math.abs(h);
}

export class ReplicaFetcherManager {
  private readonly fetchers = new Map<string, ReplicaFetcher>();
  /** partition key → the fetcher carrying it. */
  private readonly assigned = new Map<string, ReplicaFetcher>();

  constructor(
    private readonly numFetchers: number,
    private readonly create: FetcherFactory,
  ) {}

  static options(base: Omit<ReplicaFetcherOptions, 'sourceBrokerId' | 'endpoint'>): FetcherFactory {
    return (sourceBrokerId, endpoint) => new ReplicaFetcher({ ...base, sourceBrokerId, endpoint });
  }

  /** Fetches `p` from `leaderId` at `endpoint` (moving it off any other fetcher). */
  follow(p: Partition, leaderId: number, endpoint: FetcherEndpoint): void {
    const k = `${p.topic}\u0000${p.partition}`;
    const index = hashOf(p.topic, p.partition) % Math.max(1, this.numFetchers);
    const fk = `${leaderId}:${index}`;
    let fetcher = this.fetchers.get(fk);
    if (fetcher && (fetcher.endpoint.host !== endpoint.host || fetcher.endpoint.port !== endpoint.port)) {
      // The leader moved to another address: its old fetcher's partitions follow it to the new one.
      const old = fetcher;
      this.fetchers.delete(fk);
      void old.stop();
      fetcher = undefined;
      for (const [pk, f] of this.assigned) if (f === old) this.assigned.delete(pk);
    }
    const current = this.assigned.get(k);
    if (current && current === fetcher && current.has(p)) {
      // Same leader, maybe a new leader epoch: the fetcher ignores a partition whose epoch is not
      // the one it was added in, so it must be added again (this left followers of a leader that
      // was re-elected in a new epoch unfetched for good: found by the chaos harness, all-down).
      fetcher.add(p);
      return;
    }
    this.unfollow(p);
    if (!fetcher) {
      fetcher = this.create(leaderId, endpoint);
      this.fetchers.set(fk, fetcher);
    }
    fetcher.add(p);
    this.assigned.set(k, fetcher);
  }

  unfollow(p: Partition): void {
    const k = `${p.topic}\u0000${p.partition}`;
    const f = this.assigned.get(k);
    if (!f) return;
    this.assigned.delete(k);
    f.remove(p);
    if (f.size === 0) {
      for (const [fk, x] of this.fetchers) if (x === f) this.fetchers.delete(fk);
      void f.stop();
    }
  }

  isFollowing(p: Partition): boolean {
    return this.assigned.get(`${p.topic}\u0000${p.partition}`)?.has(p) ?? false;
  }

  get fetcherCount(): number {
    return this.fetchers.size;
  }

  async close(): Promise<void> {
    const all = [...this.fetchers.values()];
    this.fetchers.clear();
    this.assigned.clear();
    await Promise.all(all.map((f) => f.stop()));
  }
}
