/**
 * `tributary cluster info`: brokers, controller, cluster id, topic and partition counts, and
 * under-replicated / offline partitions at a glance. Room here for `cluster start` (a local
 * multi-node cluster) once the cluster layer lands.
 */
import type { Command } from 'commander';
import type { CliContext } from '../context.js';
import { json, keyValues, table } from '../output.js';
import { openSession, withAdmin } from '../session.js';

interface Problem {
  topic: string;
  partition: number;
  leader: number;
  replicas: number[];
  isr: number[];
}

export function registerClusterCommand(program: Command, ctx: CliContext): Command {
  const cluster = program
    .command('cluster')
    .description('Look at the cluster as a whole.')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary cluster info
  $ tributary -b broker1:9092 cluster info --json`,
    );

  cluster
    .command('info')
    .description('Cluster id, controller, brokers, topic and partition counts, under-replicated and offline partitions.')
    .option('--json', 'one JSON object')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary cluster info
  $ tributary cluster info --json | jq .underReplicated`,
    )
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const s = await openSession(cmd, ctx);
      await withAdmin(s, async (admin) => {
        const desc = await admin.describeCluster();
        const names = await admin.listTopics({ includeInternal: true });
        const topics = names.length === 0 ? [] : await admin.describeTopics(names);
        let partitions = 0;
        const underReplicated: Problem[] = [];
        const offline: Problem[] = [];
        for (const t of topics) {
          for (const p of t.partitions) {
            partitions++;
            const row = { topic: t.name, partition: p.partition, leader: p.leader, replicas: p.replicas, isr: p.isr };
            if (p.leader < 0) offline.push(row);
            else if (p.isr.length < p.replicas.length) underReplicated.push(row);
          }
        }
        const info = {
          clusterId: desc.clusterId,
          controllerId: desc.controllerId,
          brokers: desc.brokers,
          topics: topics.length,
          internalTopics: topics.filter((t) => t.isInternal).length,
          partitions,
          underReplicated,
          offline,
        };
        if (opts.json) {
          s.ctx.stdout(json(info));
          return;
        }
        const o = s.out;
        const health = (n: number, colour: (x: string) => string): string => (n === 0 ? o.green('0') : colour(String(n)));
        for (const l of keyValues(
          [
            ['cluster id', desc.clusterId ?? '(none)'],
            ['controller', desc.controllerId < 0 ? o.red('none') : desc.controllerId],
            ['brokers', desc.brokers.length],
            ['topics', `${topics.length} (${info.internalTopics} internal)`],
            ['partitions', partitions],
            ['under-replicated', health(underReplicated.length, o.yellow)],
            ['offline', health(offline.length, o.red)],
          ],
          o,
        ))
          s.ctx.stdout(l);
        s.ctx.stdout('');
        const brokerRows = desc.brokers.map((b) => [b.nodeId === desc.controllerId ? `${b.nodeId}*` : String(b.nodeId), b.host, b.port, b.rack ?? '-']);
        for (const l of table(['id', 'host', 'port', 'rack'], brokerRows, o, [false, false, true, false])) s.ctx.stdout(l);
        s.ctx.stdout(o.dim('* controller'));
        const problems = [...offline.map((p) => ['offline', p] as const), ...underReplicated.map((p) => ['under-replicated', p] as const)];
        if (problems.length > 0) {
          s.ctx.stdout('');
          const rows = problems.map(([what, p]) => [what === 'offline' ? o.red(what) : o.yellow(what), p.topic, p.partition, p.leader < 0 ? 'none' : p.leader, `[${p.replicas.join(',')}]`, `[${p.isr.join(',')}]`]);
          for (const l of table(['status', 'topic', 'partition', 'leader', 'replicas', 'isr'], rows, o)) s.ctx.stdout(l);
        }
      });
    });
  return cluster;
}
