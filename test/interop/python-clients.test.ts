/**
 * confluent-kafka-python 2.x (its wheel's own librdkafka) and aiokafka from PyPI, in the virtualenv
 * `.ci/run` makes (~/.cache/tributary/venv), against a Tributary broker process.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { repoRoot } from '../helpers/paths.js';
import { formatRunFailure, runProcess } from '../helpers/proc.js';

const VENV_PYTHON = path.join(process.env['TRIBUTARY_CACHE_DIR'] ?? path.join(os.homedir(), '.cache', 'tributary'), 'venv', 'bin', 'python');
const SCRIPT = path.join(repoRoot, 'test', 'interop', 'python', 'roundtrip.py');
let broker: BrokerProcess;
before(async () => {
  assert.ok(fs.existsSync(VENV_PYTHON), `no virtualenv at ${VENV_PYTHON}: run \`bash .ci/run\` (it installs test/interop/python/requirements.txt)`);
  broker = await startBrokerProcess(null, { name: 'tributary-for-python' });
});
after(async () => {
  await broker?.cleanup();
});

for (const [client, version] of [['confluent-kafka', /^version=2\.16\.\d+ librdkafka=2\.\d+\.\d+$/], ['aiokafka', /^version=0\.14\.\d+$/]] as const) {
  test(`${client} from PyPI: admin create, produce (acks=all), group consume and commit`, { timeout: 120_000 }, async () => {
    const r = await runProcess(VENV_PYTHON, [SCRIPT, client, broker.bootstrap, `py-${client}`, '300'], { timeoutMs: 90_000 });
    assert.equal(r.code, 0, formatRunFailure(r, `roundtrip.py ${client}`));
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    assert.match(lines[0] ?? '', version, r.stdout);
    const facts = Object.fromEntries(lines.slice(1).map((l) => l.split('=', 2) as [string, string]));
    assert.deepEqual(facts, { 'admin.partitions': '3', produced: '300', consumed: '300', mismatched: '0', committed: '300' });
  });
}
