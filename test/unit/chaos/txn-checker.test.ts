/**
 * The exactly-once checker (chaos/txn-checker.ts) on hand-written histories: a clean one passes, and
 * each anomaly it names is found in a history made to have it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HistoryEvent, RecordFate } from '../../../chaos/history.js';
import { checkTransactions, type TxnAnomalyKind } from '../../../chaos/txn-checker.js';
import { CTP_INPUT, CTP_OUTPUT, TXN_TOPIC } from '../../../chaos/txn-workload.js';

type Outcome = 'committed' | 'aborted' | 'unknown';
const txn = (n: number, outcome: Outcome, records: Array<[string, number]>, intent: 'commit' | 'abort' = outcome === 'aborted' ? 'abort' : 'commit'): HistoryEvent => ({
  t: n, type: 'txn', lane: 'xt', topic: TXN_TOPIC, txn: n, records, intent, outcome,
});
const tfinal = (topic: string, partition: number, records: Array<[number, string | null, RecordFate]>): HistoryEvent => ({
  t: 1e9, type: 'tfinal', topic, partition, highWatermark: records.length === 0 ? 0 : records[records.length - 1]![0] + 1, records,
});
const cpoll = (partition: number, records: Array<[number, string | null]>, topic = TXN_TOPIC): HistoryEvent => ({ t: 5, type: 'cpoll', observer: 'obs', topic, partition, records });

/** Transaction 0 committed (xt:0.0 on p0, xt:0.1 on p1), transaction 1 aborted (xt:1.0 on p0); markers at 1 and 3 of p0, 1 of p1. */
function clean(): HistoryEvent[] {
  return [
    txn(0, 'committed', [['xt:0.0', 0], ['xt:0.1', 1]]),
    txn(1, 'aborted', [['xt:1.0', 0]]),
    cpoll(0, [[0, 'xt:0.0']]),
    cpoll(1, [[0, 'xt:0.1']]),
    tfinal(TXN_TOPIC, 0, [[0, 'xt:0.0', 'c'], [2, 'xt:1.0', 'a']]),
    tfinal(TXN_TOPIC, 1, [[0, 'xt:0.1', 'c']]),
  ];
}

function kinds(events: HistoryEvent[]): TxnAnomalyKind[] {
  return Object.keys(checkTransactions(events).counts) as TxnAnomalyKind[];
}

test('a clean transactional history has no anomalies', () => {
  const r = checkTransactions(clean());
  assert.deepEqual(r.anomalies, []);
  assert.deepEqual(r.transactions, { committed: 1, aborted: 1, unknown: 0 });
  assert.equal(r.committedRecords, 2);
  assert.equal(r.abortedRecords, 1);
  assert.equal(r.committedReads, 2);
});

test('txn-lost-write and torn-transaction: a committed transaction with a record not committed', () => {
  const events = clean().slice(0, 4);
  events.push(tfinal(TXN_TOPIC, 0, [[0, 'xt:0.0', 'c'], [2, 'xt:1.0', 'a']]), tfinal(TXN_TOPIC, 1, [[0, 'xt:0.1', 'a']]));
  const found = kinds(events);
  assert.ok(found.includes('txn-lost-write'), found.join());
  assert.ok(found.includes('torn-transaction'), found.join());
  assert.ok(found.includes('aborted-read'), 'the observer had read xt:0.1, which the log holds as aborted');
});

test('torn-transaction: an unknown outcome must still be all or nothing; all-or-nothing passes', () => {
  const torn = [txn(0, 'unknown', [['xt:0.0', 0], ['xt:0.1', 1]]), tfinal(TXN_TOPIC, 0, [[0, 'xt:0.0', 'c']]), tfinal(TXN_TOPIC, 1, [[0, 'xt:0.1', 'a']])];
  assert.deepEqual(kinds(torn), ['torn-transaction']);
  const whole = [txn(0, 'unknown', [['xt:0.0', 0], ['xt:0.1', 1]]), tfinal(TXN_TOPIC, 0, [[0, 'xt:0.0', 'c']]), tfinal(TXN_TOPIC, 1, [[0, 'xt:0.1', 'c']])];
  assert.deepEqual(checkTransactions(whole).anomalies, []);
  assert.equal(checkTransactions(whole).unknownCommitted, 1);
  const none = [txn(0, 'unknown', [['xt:0.0', 0]]), tfinal(TXN_TOPIC, 0, [])];
  assert.deepEqual(checkTransactions(none).anomalies, []);
});

test('aborted-committed: an acknowledged abort whose records committed', () => {
  const events = [txn(1, 'aborted', [['xt:1.0', 0]]), tfinal(TXN_TOPIC, 0, [[0, 'xt:1.0', 'c']])];
  assert.deepEqual(kinds(events), ['aborted-committed']);
});

test('txn-duplicate: one transactional record committed at two offsets', () => {
  const events = [txn(0, 'committed', [['xt:0.0', 0]]), tfinal(TXN_TOPIC, 0, [[0, 'xt:0.0', 'c'], [2, 'xt:0.0', 'c']])];
  assert.deepEqual(kinds(events), ['txn-duplicate']);
});

test('aborted-read and dirty-read: what read_committed observers must never be handed', () => {
  const aborted = [...clean(), cpoll(0, [[2, 'xt:1.0']])];
  assert.deepEqual(kinds(aborted), ['aborted-read']);
  const elsewhere = [...clean(), cpoll(0, [[5, 'xt:9.9']])];
  assert.deepEqual(kinds(elsewhere), ['dirty-read']);
  const swapped = [...clean(), cpoll(1, [[0, 'xt:0.0']])];
  assert.deepEqual(kinds(swapped), ['dirty-read']);
});

test('hanging-transaction: records still open in the final read', () => {
  const events = [txn(0, 'unknown', [['xt:0.0', 0]]), tfinal(TXN_TOPIC, 0, [[0, 'xt:0.0', 'o']])];
  assert.deepEqual(kinds(events), ['hanging-transaction']);
});

/** Inputs ci:0..2 at offsets 0..2 of partition 0; the group committed 2; outputs of ci:0 and ci:1 committed. */
function ctp(): HistoryEvent[] {
  return [
    { t: 1, type: 'input', id: 'ci:0', partition: 0, offset: 0 },
    { t: 1, type: 'input', id: 'ci:1', partition: 0, offset: 1 },
    { t: 1, type: 'input', id: 'ci:2', partition: 0, offset: 2 },
    { t: 2, type: 'txn', lane: 'ctp', topic: CTP_OUTPUT, txn: 0, records: [['out:ci:0@0', 0], ['out:ci:1@0', 0]], intent: 'commit', outcome: 'committed' },
    // An earlier try of ci:1, aborted; its own output name.
    { t: 2, type: 'txn', lane: 'ctp', topic: CTP_OUTPUT, txn: 1, records: [['out:ci:1@1', 0]], intent: 'commit', outcome: 'aborted' },
    tfinal(CTP_INPUT, 0, [[0, 'ci:0', 'c'], [1, 'ci:1', 'c'], [2, 'ci:2', 'c']]),
    tfinal(CTP_OUTPUT, 0, [[0, 'out:ci:0@0', 'c'], [1, 'out:ci:1@0', 'c'], [2, 'out:ci:1@1', 'a']]),
    { t: 1e9, type: 'group-offsets', group: 'g', topic: CTP_INPUT, offsets: [[0, 2]] },
  ];
}

test('consume-transform-produce: a clean history passes', () => {
  const r = checkTransactions(ctp());
  assert.deepEqual(r.anomalies, []);
  assert.equal(r.ctpProcessed, 2);
});

test('ctp-lost-output, ctp-duplicate-output, ctp-orphan-output, input-lost-write', () => {
  const lost = ctp().map((e) => (e.type === 'tfinal' && e.topic === CTP_OUTPUT ? tfinal(CTP_OUTPUT, 0, [[0, 'out:ci:0@0', 'c'], [1, 'out:ci:1@0', 'a']]) : e));
  assert.ok(kinds(lost).includes('ctp-lost-output'), kinds(lost).join());
  const twice = ctp().map((e) => (e.type === 'tfinal' && e.topic === CTP_OUTPUT ? tfinal(CTP_OUTPUT, 0, [[0, 'out:ci:0@0', 'c'], [1, 'out:ci:1@0', 'c'], [3, 'out:ci:1@2', 'c']]) : e));
  assert.deepEqual(kinds(twice), ['ctp-duplicate-output']);
  const orphan = ctp().map((e) => (e.type === 'tfinal' && e.topic === CTP_OUTPUT ? tfinal(CTP_OUTPUT, 0, [[0, 'out:ci:0@0', 'c'], [1, 'out:ci:1@0', 'c'], [2, 'out:ci:2@3', 'c']]) : e));
  assert.deepEqual(kinds(orphan), ['ctp-orphan-output']);
  const inputLost = [...ctp(), { t: 1, type: 'input', id: 'ci:3', partition: 0, offset: 3 } as HistoryEvent];
  assert.deepEqual(kinds(inputLost), ['input-lost-write']);
});
