/** A wake-up for waiters: `wait()` resolves at the next `notify()` (or after `timeoutMs`). */
export class Signal {
  private waiters: Array<() => void> = [];

  wait(timeoutMs?: number): Promise<void> {
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const done = (): void => {
        if (timer) clearTimeout(timer);
        resolve();
      };
      this.waiters.push(done);
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.waiters = this.waiters.filter((w) => w !== done);
          resolve();
        }, timeoutMs);
      }
    });
  }

  notify(): void {
    const list = this.waiters;
    this.waiters = [];
    for (const w of list) w();
  }
}
