/**
 * Example 3, one run: start the alerting service and an alarm listener, replay a scripted stream
 * of motion readings (with event times, so the run does not take real seconds) and a few malformed
 * ones, wait for the alarms and dead letters, stop.
 */
import { Consumer } from '../../src/index.js';
import { EventBus, createEnvelope, readFailureInfo, type FailureInfo } from '../../src/events/index.js';
import { AlarmRaised, SensorMotion, startAlertingService } from './services.js';

export interface Reading {
  sensorId: string;
  offsetMs: number;
}

/** Sensor s-1: 3 motions in 4 s (alarm). s-2: 3 spread over 30 s (none). s-3: 5 in 3 s (one alarm, two left over). s-4: 6 in 5 s (two alarms). */
export const SCRIPT: readonly Reading[] = [
  ...[0, 2_000, 4_000].map((offsetMs) => ({ sensorId: 's-1', offsetMs })),
  ...[0, 15_000, 30_000].map((offsetMs) => ({ sensorId: 's-2', offsetMs })),
  ...[0, 500, 1_000, 2_000, 3_000].map((offsetMs) => ({ sensorId: 's-3', offsetMs })),
  ...[0, 1_000, 2_000, 3_000, 4_000, 5_000].map((offsetMs) => ({ sensorId: 's-4', offsetMs })),
];

export interface RunResult {
  alarms: Array<{ sensorId: string; motions: number; from: string; to: string }>;
  deadLetters: FailureInfo[];
}

export async function runExample(options: { bootstrapServers: string; expectedAlarms?: number; timeoutMs?: number }): Promise<RunResult> {
  const startMs = Date.parse('2026-01-01T00:00:00Z');
  const alerting = await startAlertingService(options.bootstrapServers, { threshold: 3, windowMs: 10_000 });
  const listener = new EventBus({ bootstrapServers: options.bootstrapServers, source: '/ops/console', clientId: 'console' });
  const alarms: RunResult['alarms'] = [];
  const deadReader = new Consumer({ bootstrapServers: options.bootstrapServers, groupId: `dlq-viewer-${process.pid}-${Date.now()}`, autoOffsetReset: 'earliest', fetchMaxWaitMs: 100 });
  const deadLetters: FailureInfo[] = [];
  try {
    await listener.subscribe(AlarmRaised, (e) => void alarms.push(e.data), { group: 'console' });
    const sensors = new EventBus({ bootstrapServers: options.bootstrapServers, source: '/sensors', clientId: 'sensors' });
    // Interleave the sensors as a real stream would, in event-time order.
    const ordered = [...SCRIPT].sort((a, b) => a.offsetMs - b.offsetMs);
    for (const [i, r] of ordered.entries()) {
      await sensors.publish(SensorMotion, { sensorId: r.sensorId, zone: `zone-${r.sensorId}`, at: new Date(startMs + r.offsetMs).toISOString(), confidence: 0.9 });
      if (i === 4) {
        // Malformed readings from a faulty sensor, sent past validation: a confidence of 7, and no time at all.
        await sensors.publishEnvelope(SensorMotion.topic, createEnvelope({ type: SensorMotion.type, source: '/sensors/faulty', key: 's-1', data: { sensorId: 's-1', zone: 'z', at: new Date(startMs).toISOString(), confidence: 7 } }));
        await sensors.publishEnvelope(SensorMotion.topic, createEnvelope({ type: SensorMotion.type, source: '/sensors/faulty', key: 's-3', data: { sensorId: 's-3', zone: 'z', confidence: 0.5 } }));
      }
    }
    await sensors.close();
    deadReader.subscribe(['alerting.dlq']);
    const expected = options.expectedAlarms ?? 4;
    const deadline = Date.now() + (options.timeoutMs ?? 30_000);
    const timer = setInterval(() => {
      if ((alarms.length >= expected && deadLetters.length >= 2) || Date.now() > deadline) void deadReader.close();
    }, 50);
    try {
      for await (const r of deadReader) {
        const info = readFailureInfo(r);
        if (info) deadLetters.push(info);
      }
    } finally {
      clearInterval(timer);
    }
    if (alarms.length < expected || deadLetters.length < 2) throw new Error(`timed out: ${alarms.length} alarms, ${deadLetters.length} dead letters`);
  } finally {
    await deadReader.close();
    await listener.close();
    await alerting.bus.close();
  }
  return { alarms, deadLetters };
}
