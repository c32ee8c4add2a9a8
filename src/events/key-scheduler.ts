/**
 * Runs tasks with bounded parallelism while keeping order per key: tasks of one key run strictly
 * one after another in the order they were scheduled; tasks of different keys run in parallel, at
 * most `concurrency` at a time. A task without a key has no order to keep and runs on its own.
 * Lanes that are ready take turns in FIFO order, so a busy key cannot starve the others.
 */
import { EventsConfigError } from './errors.js';

interface Task {
  run: () => Promise<void>;
  resolve: () => void;
  reject: (err: unknown) => void;
}

interface Lane {
  key: string;
  tasks: Task[];
}

export class KeyedScheduler {
  private readonly lanes = new Map<string, Lane>();
  /** Lanes with a task waiting and none running, in the order they became ready. */
  private readonly ready: Lane[] = [];
  private running = 0;
  private pending = 0;
  private unkeyed = 0;
  private waiters: Array<{ below: number; resolve: () => void }> = [];

  constructor(readonly concurrency: number) {
    if (!Number.isInteger(concurrency) || concurrency < 1) throw new EventsConfigError(`concurrency must be an integer >= 1, got ${concurrency}`);
  }

  /** Tasks scheduled and not finished (waiting or running). */
  get size(): number {
    return this.pending;
  }

  /** Tasks running now (at most `concurrency`). */
  get active(): number {
    return this.running;
  }

  /** Schedules `run` behind every earlier task of `key`; settles as the task does. */
  schedule(key: string | null, run: () => Promise<void>): Promise<void> {
    const laneKey = key ?? `\u0000unkeyed-${this.unkeyed++}`;
    return new Promise<void>((resolve, reject) => {
      this.pending++;
      let lane = this.lanes.get(laneKey);
      if (!lane) {
        lane = { key: laneKey, tasks: [] };
        this.lanes.set(laneKey, lane);
        this.ready.push(lane);
      }
      lane.tasks.push({ run, resolve, reject });
      this.pump();
    });
  }

  /** Resolves once fewer than `below` tasks are pending (backpressure for the reader). */
  whenBelow(below: number): Promise<void> {
    if (this.pending < below) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ below, resolve }));
  }

  /** Resolves once every scheduled task has finished. */
  idle(): Promise<void> {
    return this.whenBelow(1);
  }

  private pump(): void {
    while (this.running < this.concurrency && this.ready.length > 0) {
      const lane = this.ready.shift()!;
      const task = lane.tasks[0]!;
      this.running++;
      void this.runTask(lane, task);
    }
  }

  private async runTask(lane: Lane, task: Task): Promise<void> {
    try {
      await task.run();
      task.resolve();
    } catch (err) {
      task.reject(err);
    } finally {
      this.running--;
      this.pending--;
      lane.tasks.shift();
      if (lane.tasks.length > 0) this.ready.push(lane);
      else this.lanes.delete(lane.key);
      this.wakeWaiters();
      this.pump();
    }
  }

  private wakeWaiters(): void {
    if (this.waiters.length === 0) return;
    const still: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (this.pending < w.below) w.resolve();
      else still.push(w);
    }
    this.waiters = still;
  }
}
