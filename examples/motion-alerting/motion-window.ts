/**
 * The alerting rule of example 3, pure: per sensor, a sliding window over event time; `threshold`
 * motions within `windowMs` raise an alarm and empty the window (the next alarm needs `threshold`
 * new motions). Events of one sensor arrive in order (one key, one lane), so a sensor's window needs
 * no locking; a motion older than the newest one seen (a late reading) is still counted in its place.
 */
export interface Alarm {
  sensorId: string;
  fromMs: number;
  toMs: number;
  motions: number;
}

export class MotionWindows {
  private readonly windows = new Map<string, number[]>();

  constructor(
    readonly threshold = 3,
    readonly windowMs = 10_000,
    /** Sensors tracked at most; the least recently seen is dropped. */
    readonly maxSensors = 100_000,
  ) {}

  /** Adds one motion; returns the alarm it completes, or null. */
  add(sensorId: string, atMs: number): Alarm | null {
    const times = this.windows.get(sensorId) ?? [];
    this.windows.delete(sensorId);
    let i = times.length;
    while (i > 0 && times[i - 1]! > atMs) i--;
    times.splice(i, 0, atMs);
    const newest = times[times.length - 1]!;
    while (times.length > 0 && times[0]! <= newest - this.windowMs) times.shift();
    if (times.length >= this.threshold) {
      const alarm = { sensorId, fromMs: times[0]!, toMs: newest, motions: times.length };
      return alarm;
    }
    this.windows.set(sensorId, times);
    while (this.windows.size > this.maxSensors) this.windows.delete(this.windows.keys().next().value!);
    return null;
  }
}
