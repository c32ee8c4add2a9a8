/**
 * docs/grafana-dashboard.json stays honest: well-formed, Grafana 10's JSON model with the
 * `DS_PROMETHEUS` and `instance` variables, and every metric it queries listed in docs/metrics.md.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { repoRoot } from '../../helpers/paths.js';

interface Target {
  refId: string;
  expr: string;
  datasource?: { type: string; uid: string };
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: Target[];
}
interface Variable {
  name: string;
  type: string;
  query: unknown;
  datasource?: { type: string; uid: string };
}
interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Variable[] };
}

const dashboardText = readFileSync(path.join(repoRoot, 'docs', 'grafana-dashboard.json'), 'utf8');
const metricsDoc = readFileSync(path.join(repoRoot, 'docs', 'metrics.md'), 'utf8');
const METRIC = /\b(?:tributary|nodejs|process)_[a-z0-9_]+/g;
const DS = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };

function dashboard(): Dashboard {
  return JSON.parse(dashboardText) as Dashboard;
}

function queries(d: Dashboard): string[] {
  const exprs = d.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr));
  for (const v of d.templating.list) if (v.type === 'query') exprs.push(JSON.stringify(v.query));
  return exprs;
}

/** The names docs/metrics.md lists (in backticks), with the type its table gives them ('' outside the table). */
function documented(): Map<string, string> {
  const names = new Map<string, string>();
  for (const line of metricsDoc.split('\n')) {
    const row = /^\| `([a-z0-9_]+)` \| ([a-z]+)/.exec(line);
    if (row !== null) names.set(row[1]!, row[2]!);
    for (const m of line.matchAll(/`([a-z0-9_]+)(?:\{[^}]*\})?`/g)) if (!names.has(m[1]!)) names.set(m[1]!, '');
  }
  return names;
}

test('the dashboard is well-formed JSON of Grafana 10 or later, with unique panel ids', () => {
  const d = dashboard();
  assert.equal(d.title, 'Tributary');
  assert.ok(d.uid.length > 0 && d.uid.length <= 40);
  assert.ok(d.schemaVersion >= 38, `schemaVersion ${d.schemaVersion} (Grafana 10 writes 38 and above)`);
  const ids = d.panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of d.panels) {
    assert.ok(p.gridPos.x >= 0 && p.gridPos.x + p.gridPos.w <= 24, `${p.title}: inside the 24-column grid`);
  }
});

test('the data source is the DS_PROMETHEUS variable and every query is filtered by $instance', () => {
  const d = dashboard();
  const ds = d.templating.list.find((v) => v.name === 'DS_PROMETHEUS');
  assert.equal(ds?.type, 'datasource');
  assert.equal(ds?.query, 'prometheus');
  const instance = d.templating.list.find((v) => v.name === 'instance');
  assert.equal(instance?.type, 'query');
  assert.deepEqual(instance?.datasource, DS);
  for (const p of d.panels.filter((p) => p.type !== 'row')) {
    assert.deepEqual(p.datasource, DS, p.title);
    assert.ok((p.targets ?? []).length > 0, `${p.title} has queries`);
    for (const t of p.targets ?? []) {
      assert.deepEqual(t.datasource, DS, `${p.title} ${t.refId}`);
      assert.match(t.expr, /\{[^}]*instance=~"\$instance"[^}]*\}/, `${p.title}: ${t.expr}`);
    }
  }
});

test('every metric the dashboard queries is listed in docs/metrics.md', () => {
  const docs = documented();
  const used = new Set(queries(dashboard()).flatMap((e) => [...e.matchAll(METRIC)].map((m) => m[0])));
  assert.ok(used.size >= 15, `metrics used: ${[...used].join(', ')}`);
  for (const name of used) {
    const histogram = /^(.+)_(bucket|sum|count)$/.exec(name);
    if (histogram !== null && docs.get(histogram[1]!) === 'histogram') continue;
    assert.ok(docs.has(name), `${name} is not in docs/metrics.md`);
  }
});

test('the dashboard covers what an operator watches', () => {
  const all = queries(dashboard()).join('\n');
  for (const needed of [
    /histogram_quantile\(0\.99, sum by \(api, le\) \(rate\(tributary_request_duration_seconds_bucket/,
    /sum by \(api\) \(rate\(tributary_requests_total/,
    /sum by \(topic\) \(rate\(tributary_topic_bytes_in_total/,
    /sum by \(topic\) \(rate\(tributary_topic_bytes_out_total/,
    /tributary_under_replicated_partitions/,
    /tributary_under_min_isr_partitions/,
    /tributary_offline_partitions/,
    /tributary_active_controller_count/,
    /sum by \(group\) \(tributary_consumer_group_lag/,
    /tributary_log_size_bytes/,
    /tributary_connections/,
    /nodejs_eventloop_lag/,
    /nodejs_heap_size_used_bytes/,
  ]) {
    assert.match(all, needed);
  }
});
