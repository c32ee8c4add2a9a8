import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { runChecked } from '../helpers/proc.js';
import { requireTool } from '../helpers/tools.js';

/**
 * The metrics listener of a real broker process (`metrics.listener=http://127.0.0.1:0`, its port read
 * from the ready line): /health and /ready answer 200 once the broker serves, and /metrics moves when
 * kcat produces and consumes — bytes and records in, bytes out, Produce and Fetch request counters,
 * the partition's log size — with the process metrics beside them.
 */

/** The value of the series `name{labels…}` whose labels include every `labels` pair, or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{([^}]*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const got = new Map<string, string>();
    for (const pair of (m[3] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) got.set(pair[1]!, pair[2]!);
    if (Object.entries(labels).every(([k, v]) => got.get(k) === v)) return Number(m[4]);
  }
  return undefined;
}

/** Sum of every series of `name` whose labels include `labels`. */
function total(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const v = sample(line, name, labels);
    if (v !== undefined) sum += v;
  }
  return sum;
}

test('metrics listener: /health, /ready and /metrics that move with produce and fetch', async (t) => {
  requireTool('kcat');
  const broker = await startBrokerProcess(t, { name: 'metrics-broker', overrides: { 'metrics.listener': 'http://127.0.0.1:0', 'auto.create.topics.enable': true } });
  assert.ok(broker.metricsUrl, `the ready line names the metrics listener\n${broker.recentLogs()}`);
  const url = broker.metricsUrl!;
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(url.endsWith(':0'), true, 'the bound port is reported, not 0');

  const health = await fetch(`${url}/health`);
  assert.equal(health.status, 200);
  const ready = await fetch(`${url}/ready`);
  assert.equal(ready.status, 200, await ready.text());
  assert.equal((await fetch(`${url}/nope`)).status, 404);

  const scrape = async (): Promise<string> => {
    const res = await fetch(`${url}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    return res.text();
  };
  const before = await scrape();
  assert.equal(sample(before, 'tributary_topic_bytes_in_total', { topic: 'metrics-topic' }), undefined);
  assert.equal(sample(before, 'tributary_active_controller_count'), 1);
  assert.equal(sample(before, 'tributary_under_replicated_partitions'), 0);
  assert.ok(sample(before, 'process_cpu_user_seconds_total') !== undefined, 'default process metrics are in the broker registry');
  assert.ok(sample(before, 'nodejs_eventloop_lag_seconds') !== undefined, 'event-loop lag is exported');

  const lines = Array.from({ length: 100 }, (_, i) => `value-${i}`).join('\n') + '\n';
  await runChecked('kcat', ['-P', '-b', broker.bootstrap, '-t', 'metrics-topic', '-p', '0'], { timeoutMs: 30_000, input: lines }, 'kcat produce');
  const consumed = await runChecked('kcat', ['-C', '-b', broker.bootstrap, '-t', 'metrics-topic', '-p', '0', '-o', 'beginning', '-e', '-q'], { timeoutMs: 30_000 }, 'kcat consume');
  assert.equal(consumed.stdout.split('\n').filter((l) => l !== '').length, 100);

  const after = await scrape();
  const bytesIn = sample(after, 'tributary_topic_bytes_in_total', { topic: 'metrics-topic' });
  assert.ok(bytesIn !== undefined && bytesIn > 100 * 'value-0'.length, `bytes in counted: ${bytesIn}`);
  assert.equal(sample(after, 'tributary_topic_messages_in_total', { topic: 'metrics-topic' }), 100);
  const bytesOut = sample(after, 'tributary_topic_bytes_out_total', { topic: 'metrics-topic' });
  assert.ok(bytesOut !== undefined && bytesOut >= bytesIn!, `bytes out counted: ${bytesOut}`);
  assert.ok(total(after, 'tributary_requests_total', { api: 'Produce' }) >= 1, 'Produce requests counted');
  assert.ok(total(after, 'tributary_requests_total', { api: 'Fetch' }) >= 1, 'Fetch requests counted');
  assert.ok(total(after, 'tributary_request_duration_seconds_count', { api: 'Produce' }) >= 1, 'Produce latency observed');
  assert.ok(total(after, 'tributary_requests_total', { api: 'Metadata' }) > total(before, 'tributary_requests_total', { api: 'Metadata' }));
  const logSize = sample(after, 'tributary_log_size_bytes', { topic: 'metrics-topic', partition: '0' });
  assert.ok(logSize !== undefined && logSize >= bytesIn!, `log size at least what was appended: ${logSize}`);
  assert.equal(sample(after, 'tributary_log_segments', { topic: 'metrics-topic', partition: '0' }), 1);
  assert.equal(sample(after, 'tributary_log_end_offset', { topic: 'metrics-topic', partition: '0' }), 100);
  assert.ok((sample(after, 'tributary_connections') ?? -1) >= 0);

  assert.equal((await broker.stop()).code, 0);
});
