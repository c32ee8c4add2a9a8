/**
 * Example 3, the services: sensors publish `sensor.motion`; the alerting service keeps a 10 s
 * window per sensor (`MotionWindows`) and emits `alarm.raised` at the third motion in it. Readings
 * its schema refuses (a confidence outside 0..1, a missing time …) go to the dead-letter topic
 * `alerting.dlq` at once, with the reason, while the readings behind them keep flowing.
 */
import { z } from 'zod';
import { EventBus, defineEvent, type Subscription } from '../../src/events/index.js';
import { MotionWindows } from './motion-window.js';

export const SensorMotion = defineEvent({
  type: 'sensor.motion',
  topic: 'sensor-motion',
  schema: z.object({ sensorId: z.string().min(1), zone: z.string(), at: z.iso.datetime(), confidence: z.number().min(0).max(1) }),
  key: (d) => d.sensorId,
  subject: (d) => `sensors/${d.sensorId}`,
});

export const AlarmRaised = defineEvent({
  type: 'alarm.raised',
  topic: 'alarms',
  schema: z.object({ sensorId: z.string(), zone: z.string(), from: z.iso.datetime(), to: z.iso.datetime(), motions: z.number().int() }),
  key: (d) => d.sensorId,
});

export async function startAlertingService(bootstrapServers: string, rule: { threshold: number; windowMs: number }): Promise<{ bus: EventBus; subscription: Subscription }> {
  const bus = new EventBus({ bootstrapServers, source: '/services/alerting', clientId: 'alerting' });
  const windows = new MotionWindows(rule.threshold, rule.windowMs);
  const subscription = await bus.subscribe(
    SensorMotion,
    async (event, ctx) => {
      const alarm = windows.add(event.data.sensorId, Date.parse(event.data.at));
      if (alarm) {
        await ctx.emit(AlarmRaised, { sensorId: alarm.sensorId, zone: event.data.zone, from: new Date(alarm.fromMs).toISOString(), to: new Date(alarm.toMs).toISOString(), motions: alarm.motions });
      }
    },
    { group: 'alerting', concurrency: 8, retries: 2, backoff: { initialMs: 50 } },
  );
  return { bus, subscription };
}
