import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Admin, Producer } from '../../src/index.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { eventually } from '../helpers/eventually.js';
import { createReplicatedTopic, startReplicatedCluster, waitIsr } from '../helpers/replication-setup.js';
import { runChecked } from '../helpers/proc.js';
import { requireTool } from '../helpers/tools.js';

/**
 * The metrics listener of a real broker process (`metrics.listener=http://127.0.0.1:0`, its port read
 * from the ready line): /health and /ready answer 200 once the broker serves, and /metrics moves when
 * kcat produces and consumes — bytes and records in, bytes out, Produce and Fetch request counters,
 * the partition's log size — with the process metrics beside them. In a 3-node cluster: a group's lag
 * after producing past it, falling to zero when its offsets move to the end; under-replicated partitions
 * on a leader while a follower is SIGKILLed, an offline partition on the active controller while its
 * only replica is down, both back to 0 once it returns.
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

test('metrics in a 3-node cluster: group lag, under-replicated and offline partitions while a node is down', { timeout: 180_000 }, async (t) => {
  const cluster = await startReplicatedCluster(t, { properties: { 'metrics.listener': 'http://127.0.0.1:0' } });
  const ids = [0, 1, 2];
  const scrape = async (id: number): Promise<string> => {
    const url = cluster.node(id).process.metricsUrl;
    assert.ok(url, `node ${id} names its metrics listener`);
    return (await fetch(`${url}/metrics`)).text();
  };
  /** A metric summed over the live nodes (each partition or group is reported by one node only). */
  const clusterTotal = async (name: string, labels: Record<string, string> = {}, live = ids): Promise<number> => {
    let sum = 0;
    for (const id of live) sum += total(await scrape(id), name, labels);
    return sum;
  };
  for (const id of ids) assert.equal((await fetch(`${cluster.node(id).process.metricsUrl}/ready`)).status, 200, `node ${id} ready`);

  await createReplicatedTopic(cluster, 'm3', 1);
  const isr = await waitIsr(cluster, 'm3', 3, 30_000);
  assert.ok(isr.ok, JSON.stringify(isr.states));
  const leader = isr.states[0]!.leader;
  const controller = await cluster.activeController();
  const victim = ids.find((id) => id !== leader && id !== controller)!;
  await createReplicatedTopic(cluster, 'solo', 1, { assignment: [[victim]], configs: { 'min.insync.replicas': '1' } });

  const producer = new Producer({ bootstrapServers: cluster.bootstrap, acks: -1 });
  const admin = new Admin({ bootstrapServers: cluster.bootstrap });
  t.after(async () => {
    await producer.close();
    await admin.close();
  });
  await producer.send({ topic: 'm3', messages: Array.from({ length: 100 }, (_, i) => ({ value: Buffer.from(`v${i}`), partition: 0 })) });
  await admin.resetOffsets('lagging', 'm3', 'earliest');
  await eventually('lag 100 for the group', 20_000, async () => ((await clusterTotal('tributary_consumer_group_lag', { group: 'lagging', topic: 'm3' })) === 100 ? true : undefined), 200);
  await admin.resetOffsets('lagging', 'm3', 'latest');
  await eventually('lag 0 once the offsets are at the end', 20_000, async () => {
    const lag = await clusterTotal('tributary_consumer_group_lag', { group: 'lagging', topic: 'm3' });
    return lag === 0 && (await clusterTotal('tributary_consumer_group_lag', { group: 'lagging' })) === 0 ? true : undefined;
  }, 200);
  assert.equal(await clusterTotal('tributary_under_replicated_partitions'), 0);
  assert.equal(await clusterTotal('tributary_offline_partitions'), 0);
  assert.equal(await clusterTotal('tributary_active_controller_count'), 1, 'one active controller in the cluster');

  await cluster.kill(victim);
  const live = ids.filter((id) => id !== victim);
  await eventually('m3 under-replicated on its leader', 30_000, async () => ((sample(await scrape(leader), 'tributary_under_replicated_partitions') ?? 0) >= 1 ? true : undefined), 200);
  assert.equal(sample(await scrape(leader), 'tributary_under_min_isr_partitions'), 0, 'ISR 2 of 3 is not under min.insync.replicas=2');
  await eventually('solo offline on the active controller', 30_000, async () => ((await clusterTotal('tributary_offline_partitions', {}, live)) >= 1 ? true : undefined), 200);

  await cluster.restart(victim);
  await eventually('all partitions replicated and online again', 60_000, async () => {
    const under = await clusterTotal('tributary_under_replicated_partitions');
    const offline = await clusterTotal('tributary_offline_partitions');
    return under === 0 && offline === 0 ? true : undefined;
  }, 250);
});
