import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { defineEvent, type EventBus, type EventData } from '../../../src/events/index.js';

/**
 * Compile-time checks of the public types (this file fails `tsc` if inference breaks): the data
 * type comes from the schema, a handler of several definitions gets their union, and publish
 * refuses data of the wrong shape.
 */
const Registered = defineEvent({ type: 'user.registered', topic: 'users', schema: z.object({ userId: z.string(), email: z.string() }) });
const Deleted = defineEvent({ type: 'user.deleted', topic: 'users', schema: z.object({ userId: z.string(), reason: z.enum(['asked', 'abuse']) }) });

type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
const registeredData: Equal<EventData<typeof Registered>, { userId: string; email: string }> = true;

// Never called: only type-checked.
function usage(bus: EventBus): void {
  void bus.subscribe(Registered, (e) => void e.data.email.toLowerCase(), { group: 'g' });
  void bus.subscribe(
    [Registered, Deleted],
    (e) => {
      if (e.type === 'user.deleted' && 'reason' in e.data) void e.data.reason;
      void e.data.userId;
    },
    { group: 'g' },
  );
  void bus.subscribe('users', (e) => void (e.data satisfies unknown), { group: 'g' });
  // @ts-expect-error: email is missing
  void bus.publish(Registered, { userId: 'u1' });
}

test('public types infer event data from the schema', () => {
  assert.equal(registeredData, true);
  assert.equal(typeof usage, 'function');
});
