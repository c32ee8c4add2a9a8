/**
 * docs/compatibility.md lists every broker property and topic config that Tributary accepts but does
 * not act on. The lists are checked against the definition tables (`honoured: false`), so neither can
 * drift: making a property functional (honoured: true) means taking it out of the doc, and the other way round.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BROKER_CONFIG_DEFINITIONS, parseBrokerConfig, unhonouredProperties } from '../../../src/cluster/config/broker-config.js';
import { TOPIC_CONFIG_DEFINITIONS } from '../../../src/cluster/config/topic-config.js';
import { repoRoot } from '../../helpers/paths.js';

function docBlock(marker: string): string[] {
  const doc = fs.readFileSync(path.join(repoRoot, 'docs', 'compatibility.md'), 'utf8');
  const m = new RegExp(`<!-- ${marker}:start -->([\\s\\S]*?)<!-- ${marker}:end -->`).exec(doc);
  assert.ok(m, `docs/compatibility.md has no <!-- ${marker}:start --> … <!-- ${marker}:end --> block`);
  return [...m[1]!.matchAll(/`([a-z0-9.]+)`/g)].map((x) => x[1]!);
}

function agree(kind: string, listed: string[], table: readonly { name: string; honoured: boolean }[]): void {
  const duplicates = listed.filter((n, i) => listed.indexOf(n) !== i);
  assert.deepEqual(duplicates, [], `${kind}: listed twice in docs/compatibility.md`);
  const known = new Set(table.map((d) => d.name));
  const notActedOn = new Set(table.filter((d) => !d.honoured).map((d) => d.name));
  const unknown = listed.filter((n) => !known.has(n));
  const actedOn = listed.filter((n) => known.has(n) && !notActedOn.has(n));
  const missing = [...notActedOn].filter((n) => !listed.includes(n));
  assert.deepEqual(unknown, [], `${kind}: docs/compatibility.md lists names the table does not know`);
  assert.deepEqual(actedOn, [], `${kind}: docs/compatibility.md says these are not acted on, but the table marks them honoured: take them out of the doc`);
  assert.deepEqual(missing, [], `${kind}: the table marks these honoured: false, but docs/compatibility.md does not list them`);
}

test('docs/compatibility.md lists exactly the broker properties marked honoured: false', () => {
  agree('broker', docBlock('broker-not-acted-on'), BROKER_CONFIG_DEFINITIONS);
});

test('docs/compatibility.md lists exactly the topic configs marked honoured: false', () => {
  agree('topic', docBlock('topic-not-acted-on'), TOPIC_CONFIG_DEFINITIONS);
});

test('the startup warning names exactly the explicitly set properties that are not acted on', () => {
  const config = parseBrokerConfig({ 'num.io.threads': '16', 'log.segment.bytes': '1048576', 'ssl.keystore.location': '/etc/k.jks', 'max.partitions': '500' });
  assert.deepEqual(unhonouredProperties(config).sort(), ['num.io.threads', 'ssl.keystore.location']);
  // Defaults are never named: the operator did not set them.
  assert.deepEqual(unhonouredProperties(parseBrokerConfig({})), []);
});
