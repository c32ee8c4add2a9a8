import assert from 'node:assert/strict';
import path from 'node:path';
import type { TestContext } from 'node:test';
import { startBrokerProcess } from './broker-process.js';
import { makeTempDir, removeTempDir } from './cleanup.js';
import { parseConsumed, runPython, runPythonChecked, type PythonScript } from './python.js';
import { formatRunFailure } from './proc.js';
import { makeRecords, verifyRoundTrip, writeRecordsJsonl } from './records.js';
import { requireTool, type ToolName } from './tools.js';
import { checkStoredBatches } from './wire.js';

/**
 * The shared flow of the python real-client tests: broker process, topic created through the
 * client's admin API (3 partitions), 10,000 keyed records with headers and explicit timestamps
 * produced by the client, consumed back by the same client twice (assigned partitions, and a
 * subscribed consumer group), checked each time; then the stored batches are checked raw.
 */
export async function pythonRoundTrip(t: TestContext, tool: ToolName, script: PythonScript, label: string): Promise<void> {
  requireTool(tool);
  const COUNT = 10_000;
  const PARTITIONS = 3;
  const broker = await startBrokerProcess(t, { name: `${label}-broker`, overrides: { 'auto.create.topics.enable': false } });
  const dir = await makeTempDir(label);
  t.after(() => removeTempDir(dir));
  const topic = `${label}-topic`;
  try {
    await runPythonChecked(script, ['create-topic', '--bootstrap', broker.bootstrap, '--topic', topic, '--partitions', String(PARTITIONS)], 30_000, `${label} create-topic`);

    const records = makeRecords({ count: COUNT, withHeaders: true, baseTimestamp: Date.now() - 7_200_000, keyPrefix: label });
    const input = path.join(dir, 'records.jsonl');
    await writeRecordsJsonl(input, records);
    await runPythonChecked(script, ['produce', '--bootstrap', broker.bootstrap, '--topic', topic, '--input', input, '--acks', 'all'], 50_000, `${label} produce`);

    // Two real consumption paths, both required: partitions assigned by hand (no group), and a
    // subscribed consumer group. Both are run and checked so a failure report names each path.
    const failures: string[] = [];
    const paths: { name: string; args: string[] }[] = [
      { name: 'assigned partitions (no group)', args: ['read-all', '--bootstrap', broker.bootstrap, '--topic', topic, '--partitions', String(PARTITIONS), '--timeout', '30'] },
      {
        name: 'consumer group',
        args: ['consume', '--bootstrap', broker.bootstrap, '--topic', topic, '--count', String(COUNT), '--group', `${label}-group`, '--timeout', '30'],
      },
    ];
    for (const { name, args } of paths) {
      const consumed = await runPython(script, args, 45_000);
      const { records: got, errors } = parseConsumed(consumed.stdout);
      try {
        if (consumed.code !== 0 || errors.length > 0) {
          assert.fail(`consumer failed after ${got.length}/${COUNT} records; client errors: ${JSON.stringify(errors.slice(0, 10))}\n${formatRunFailure(consumed, `${label} ${args[0]}`)}`);
        }
        verifyRoundTrip(records, got, { partitions: PARTITIONS, timestamps: { kind: 'exact' }, checkHeaders: true, label: `${label} (${name})` });
      } catch (err) {
        failures.push(`${label} reading with ${name}: ${(err as Error).message}`);
      }
    }
    if (failures.length > 0) assert.fail(failures.join('\n\n'));

    const stored = await checkStoredBatches(broker.host, broker.port, topic, { partitions: PARTITIONS, expectedRecords: COUNT, label });
    t.diagnostic(`${label}: ${stored.batches} stored batches, codecs ${JSON.stringify(stored.codecs)}`);
  } catch (err) {
    if (err instanceof Error) err.message += `\n--- broker log (tail) ---\n${broker.recentLogs()}`;
    throw err;
  }
}
