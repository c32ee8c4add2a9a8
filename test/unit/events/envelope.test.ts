import assert from 'node:assert/strict';
import { test } from 'node:test';
import { z } from 'zod';
import { createEnvelope, decodeEnvelope, encodeEnvelope, type EncodedEvent } from '../../../src/events/envelope.js';
import { defineEvent } from '../../../src/events/event-definition.js';
import { derivedEventId } from '../../../src/events/event-context.js';
import { EnvelopeError, EventValidationError } from '../../../src/events/errors.js';

/** What a consumer hands back for an encoded event (header values as Buffers). */
function asRecord(e: EncodedEvent): { key: Buffer | null; value: Buffer | null; headers: Array<{ key: string; value: Buffer | null }> } {
  return { key: e.key, value: e.value, headers: e.headers };
}

function header(e: EncodedEvent, name: string): string | undefined {
  return e.headers.find((h) => h.key === name)?.value.toString('utf8');
}

test('binary mode: CloudEvents attributes in ce_ headers, data as the JSON value, the key as the record key', () => {
  const env = createEnvelope({ type: 'user.registered', source: '/accounts', data: { userId: 'u1', n: 2 }, key: 'u1', subject: 'users/u1', time: new Date('2026-01-02T03:04:05.678Z') });
  const encoded = encodeEnvelope(env);
  assert.equal(header(encoded, 'ce_specversion'), '1.0');
  assert.equal(header(encoded, 'ce_id'), env.id);
  assert.equal(header(encoded, 'ce_type'), 'user.registered');
  assert.equal(header(encoded, 'ce_source'), '/accounts');
  assert.equal(header(encoded, 'ce_time'), '2026-01-02T03:04:05.678Z');
  assert.equal(header(encoded, 'ce_subject'), 'users/u1');
  assert.equal(header(encoded, 'content-type'), 'application/json');
  assert.equal(header(encoded, 'ce_correlationid'), env.id, 'a first event starts its own conversation');
  assert.equal(header(encoded, 'ce_causationid'), undefined, 'a first event has no cause');
  assert.equal(encoded.key?.toString(), 'u1');
  assert.deepEqual(JSON.parse(encoded.value.toString()), { userId: 'u1', n: 2 });
  assert.deepEqual(decodeEnvelope(asRecord(encoded)), env);
});

test('an event caused by another keeps the correlation id and names its cause', () => {
  const first = createEnvelope({ type: 'payment.requested', source: '/web', data: 1 });
  const second = createEnvelope({ type: 'payment.approved', source: '/fraud', data: 2, causedBy: first });
  const third = createEnvelope({ type: 'ledger.updated', source: '/ledger', data: 3, causedBy: second });
  assert.notEqual(second.id, first.id);
  assert.equal(second.correlationId, first.id);
  assert.equal(second.causationId, first.id);
  assert.equal(third.correlationId, first.id);
  assert.equal(third.causationId, second.id);
  const decoded = decodeEnvelope(asRecord(encodeEnvelope(third)));
  assert.equal(decoded.correlationId, first.id);
  assert.equal(decoded.causationId, second.id);
});

test('records that are not envelopes are refused with EnvelopeError', () => {
  const good = encodeEnvelope(createEnvelope({ type: 't', source: '/s', data: { a: 1 } }));
  const without = (name: string) => ({ ...asRecord(good), headers: good.headers.filter((h) => h.key !== name) });
  for (const name of ['ce_id', 'ce_type', 'ce_source', 'ce_specversion']) {
    assert.throws(() => decodeEnvelope(without(name)), (err: unknown) => err instanceof EnvelopeError && err.message.includes(name), name);
  }
  assert.throws(() => decodeEnvelope({ ...asRecord(good), value: Buffer.from('{not json') }), EnvelopeError);
  assert.throws(() => decodeEnvelope({ ...asRecord(good), value: null }), EnvelopeError);
  const withHeader = (name: string, value: string) => ({ ...asRecord(good), headers: [...good.headers.filter((h) => h.key !== name), { key: name, value: Buffer.from(value) }] });
  assert.throws(() => decodeEnvelope(withHeader('ce_specversion', '0.3')), EnvelopeError);
  assert.throws(() => decodeEnvelope(withHeader('content-type', 'text/plain')), EnvelopeError);
  assert.throws(() => decodeEnvelope(withHeader('ce_time', 'yesterday')), EnvelopeError);
  assert.deepEqual(decodeEnvelope(withHeader('content-type', 'application/cloudevents+json; charset=utf-8')).data, { a: 1 });
});

test('the last of repeated headers wins; a keyless event decodes with key null', () => {
  const enc = encodeEnvelope(createEnvelope({ type: 't', source: '/s', data: null }));
  const rec = { ...asRecord(enc), headers: [...enc.headers, { key: 'ce_type', value: Buffer.from('t2') }] };
  const d = decodeEnvelope(rec);
  assert.equal(d.type, 't2');
  assert.equal(d.key, null);
  assert.equal(d.data, null);
});

const Payment = defineEvent({
  type: 'payment.requested',
  topic: 'payments',
  schema: z.object({ paymentId: z.string().min(1), accountId: z.string(), amountCents: z.number().int().positive() }),
  key: (d) => d.accountId,
  subject: (d) => `payments/${d.paymentId}`,
});

test('defineEvent validates on create, takes key and subject from the data, and refuses bad payloads', async () => {
  const env = await Payment.create('/web', { paymentId: 'p1', accountId: 'a7', amountCents: 250 });
  assert.equal(env.type, 'payment.requested');
  assert.equal(env.key, 'a7');
  assert.equal(env.subject, 'payments/p1');
  assert.equal((await Payment.create('/web', { paymentId: 'p1', accountId: 'a7', amountCents: 250 }, { key: 'other' })).key, 'other');
  await assert.rejects(
    Payment.create('/web', { paymentId: 'p1', accountId: 'a7', amountCents: -5 }),
    (err: unknown) => err instanceof EventValidationError && err.issues.includes('amountCents'),
  );
  const decoded = decodeEnvelope(asRecord(encodeEnvelope(env)));
  assert.deepEqual((await Payment.accept(decoded)).data, { paymentId: 'p1', accountId: 'a7', amountCents: 250 });
  const tampered = { ...decoded, data: { paymentId: '', accountId: 'a7', amountCents: 1.5 } };
  await assert.rejects(Payment.accept(tampered), (err: unknown) => err instanceof EventValidationError && /paymentId/.test(err.issues) && /amountCents/.test(err.issues));
  await assert.rejects(Payment.accept({ ...decoded, type: 'other' }), EventValidationError);
});

test('derived event ids are stable per (parent, group, index) and UUID-shaped', () => {
  const a = derivedEventId('e1', 'g', 0);
  assert.equal(a, derivedEventId('e1', 'g', 0));
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const others = new Set([a, derivedEventId('e1', 'g', 1), derivedEventId('e2', 'g', 0), derivedEventId('e1', 'h', 0)]);
  assert.equal(others.size, 4);
});
