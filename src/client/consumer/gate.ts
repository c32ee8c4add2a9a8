/**
 * The delivery gate: who may touch the assignment right now — the application (it holds a record
 * or batch handed out by an iterator) or the group (revoking / assigning partitions in a
 * rebalance). Rebalance callbacks thus run between records, as Kafka runs them inside poll().
 * The application side is taken synchronously when free; a waiting group goes first.
 */
export class DeliveryGate {
  private holder: 'app' | 'group' | null = null;
  private readonly waiting: Array<{ who: 'app' | 'group'; resolve: () => void }> = [];
  /** Group entries in `waiting`: `contended` is asked after every record, so it must not scan. */
  private groupsWaiting = 0;
  /** Date.now() when the application took the gate (for maxPollIntervalMs). */
  appSinceMs = 0;

  get contended(): boolean {
    return this.groupsWaiting > 0;
  }

  get heldByApp(): boolean {
    return this.holder === 'app';
  }

  /** Takes the gate for the application: null if taken at once, else a promise to await. */
  enterApp(): Promise<void> | null {
    if (this.holder === null && this.waiting.length === 0) {
      this.holder = 'app';
      this.appSinceMs = Date.now();
      return null;
    }
    return new Promise<void>((resolve) => this.waiting.push({ who: 'app', resolve: () => {
      this.appSinceMs = Date.now();
      resolve();
    } }));
  }

  /**
   * Runs `fn` while holding the gate for the group. If the application does not give the gate
   * up within `timeoutMs`, `fn` runs anyway (the member is about to be expelled regardless).
   */
  async asGroup<T>(fn: () => Promise<T>, timeoutMs: number): Promise<T> {
    let held = true;
    if (this.holder !== null || this.waiting.length > 0) {
      held = await new Promise<boolean>((resolve) => {
        let timer: NodeJS.Timeout | undefined;
        const entry = {
          who: 'group' as const,
          resolve: () => {
            if (timer) clearTimeout(timer);
            resolve(true);
          },
        };
        // The group goes before waiting application steps.
        const i = this.waiting.findIndex((w) => w.who === 'app');
        if (i < 0) this.waiting.push(entry);
        else this.waiting.splice(i, 0, entry);
        this.groupsWaiting++;
        timer = setTimeout(() => {
          const at = this.waiting.indexOf(entry);
          if (at >= 0) {
            this.waiting.splice(at, 1);
            this.groupsWaiting--;
          }
          resolve(false);
        }, timeoutMs);
      });
    } else {
      this.holder = 'group';
    }
    try {
      return await fn();
    } finally {
      if (held) this.release();
    }
  }

  /** Gives the gate up (application: it finished with what it was handed). */
  release(): void {
    const next = this.waiting.shift();
    if (!next) {
      this.holder = null;
      return;
    }
    if (next.who === 'group') this.groupsWaiting--;
    this.holder = next.who;
    next.resolve();
  }

  exitApp(): void {
    if (this.holder === 'app') this.release();
  }
}
