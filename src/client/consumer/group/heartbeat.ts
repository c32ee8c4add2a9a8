/**
 * The heartbeat timer: runs `beat` every intervalMs on its own timer (independent of how fast the
 * application processes records), one beat at a time; `beat` returns the delay before the next
 * one (shorter after a failure). The timer is unref'd: an idle consumer does not keep Node alive.
 */
export class HeartbeatTimer {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private generation = 0;

  constructor(private readonly beat: () => Promise<number>) {}

  start(firstDelayMs: number): void {
    this.stop();
    this.running = true;
    this.schedule(firstDelayMs, this.generation);
  }

  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(delayMs: number, generation: number): void {
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.running || generation !== this.generation) return;
      this.beat().then(
        (next) => {
          if (this.running && generation === this.generation) this.schedule(next, generation);
        },
        () => {
          if (this.running && generation === this.generation) this.schedule(1000, generation);
        },
      );
    }, Math.max(0, delayMs));
    this.timer.unref();
  }
}
