import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { RequestMetrics } from '../../../src/server/observability/request-metrics.js';
import { TopicStats } from '../../../src/server/observability/topic-stats.js';

test('request metrics: a counter and a cumulative histogram per api and version, in the registry of their own', async () => {
  const registry = new Registry();
  const requests = new RequestMetrics(new Map([[0, 'Produce'], [1, 'Fetch']]));
  requests.register(registry);
  requests.requestCompleted(0, 9, 0.2); // 0.0002 s: first bucket
  requests.requestCompleted(0, 9, 3); // 0.003 s: the 0.005 bucket
  requests.requestCompleted(1, 16, 60_000); // past the largest bound: only +Inf
  const text = await registry.metrics();
  assert.match(text, /^# TYPE tributary_requests_total counter$/m);
  assert.match(text, /^tributary_requests_total\{api="Produce",version="9"\} 2$/m);
  assert.match(text, /^tributary_requests_total\{api="Fetch",version="16"\} 1$/m);
  assert.match(text, /^# TYPE tributary_request_duration_seconds histogram$/m);
  assert.match(text, /^tributary_request_duration_seconds_bucket\{api="Produce",version="9",le="0.0005"\} 1$/m);
  assert.match(text, /^tributary_request_duration_seconds_bucket\{api="Produce",version="9",le="0.0025"\} 1$/m);
  assert.match(text, /^tributary_request_duration_seconds_bucket\{api="Produce",version="9",le="0.005"\} 2$/m);
  assert.match(text, /^tributary_request_duration_seconds_bucket\{api="Produce",version="9",le="\+Inf"\} 2$/m);
  assert.match(text, /^tributary_request_duration_seconds_count\{api="Produce",version="9"\} 2$/m);
  assert.match(text, /^tributary_request_duration_seconds_bucket\{api="Fetch",version="16",le="30"\} 0$/m);
  assert.match(text, /^tributary_request_duration_seconds_sum\{api="Fetch",version="16"\} 60$/m);
  assert.equal(requests.count('Produce', 9), 2);
  // Nothing leaked into prom-client's global registry.
  const { register } = await import('prom-client');
  assert.equal(register.getSingleMetric('tributary_requests_total'), undefined);
});

test('topic stats: bytes and records per topic; a topic gone from the metadata is dropped at the next scrape', async () => {
  const registry = new Registry();
  const stats = new TopicStats();
  const live = new Set(['a', 'b']);
  stats.register(registry, (t) => live.has(t));
  stats.produced('a', 100, 3);
  stats.produced('a', 50, 2);
  stats.fetched('a', 120);
  stats.produced('b', 7, 1);
  let text = await registry.metrics();
  assert.match(text, /^tributary_topic_bytes_in_total\{topic="a"\} 150$/m);
  assert.match(text, /^tributary_topic_messages_in_total\{topic="a"\} 5$/m);
  assert.match(text, /^tributary_topic_bytes_out_total\{topic="a"\} 120$/m);
  assert.match(text, /^tributary_topic_bytes_out_total\{topic="b"\} 0$/m);
  live.delete('b');
  text = await registry.metrics();
  assert.doesNotMatch(text, /topic="b"/);
  assert.match(text, /topic="a"/);
});
