/**
 * `tributary dev cluster`: a local N-node KRaft cluster of real `tributary server` processes for
 * development — one data dir and properties file per node under --data-dir, formatted once with one
 * cluster id; the ports and the id are recorded in `cluster.json` there, so running it again on the
 * same dir brings back the same cluster. Ctrl-C stops every node (SIGTERM, then SIGKILL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ConfigError, parseBrokerConfig } from '../../cluster/config/broker-config.js';
import { formatStorage, randomClusterId, StorageFormatError } from '../../server/broker-identity.js';
import type { CliContext } from '../context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, errorMessage } from '../errors.js';

const HOST = '127.0.0.1';
/** How long the nodes may take to print their ready lines (they wait for a quorum, then register). */
const READY_TIMEOUT_MS = 60_000;
/** How long the nodes get to shut down after SIGTERM before they are SIGKILLed. */
const STOP_TIMEOUT_MS = 10_000;
const CLUSTER_FILE = 'cluster.json';

interface DevClusterOptions {
  nodes?: string;
  dataDir: string;
  basePort?: string;
}

/** What `cluster.json` records: enough to start the same cluster again. */
interface ClusterFile {
  version: 1;
  clusterId: string;
  nodes: Array<{ nodeId: number; port: number; controllerPort: number }>;
}

interface RunningNode {
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  readonly child: ChildProcess;
  readonly exited: Promise<void>;
}

export function registerDevCommand(program: Command, ctx: CliContext): Command {
  const dev = program
    .command('dev')
    .description('Local development helpers.')
    .addHelpText(
      'after',
      `
Examples:
  $ tributary dev cluster --nodes 3`,
    );
  dev
    .command('cluster')
    .description('Run a local N-node KRaft cluster (every node a broker and a controller) until Ctrl-C.')
    .option('-n, --nodes <count>', 'number of nodes (default 3, or as recorded in the data dir)')
    .option('-d, --data-dir <dir>', 'parent of the nodes\u2019 data dirs, properties and logs', './data/dev-cluster')
    .option('--base-port <port>', 'node i listens on <port>+i for clients and <port>+100+i for the controller (default: free ports)')
    .addHelpText(
      'after',
      `
Starts one \`tributary server\` process per node (node ids 0..N-1) on 127.0.0.1, each with its
data dir <dir>/node-<id>, properties <dir>/node-<id>.properties and log <dir>/node-<id>.log,
formatted once with one cluster id. Once every node is ready it prints:
  Tributary dev cluster ready: bootstrap 127.0.0.1:<p0>,127.0.0.1:<p1>,...
and one line per node (pid, ports, data dir). Ctrl-C (or SIGTERM) stops every node and exits 0.
Running it again on the same dir starts the same cluster (same ports and cluster id, from
<dir>/cluster.json).

Examples:
  $ tributary dev cluster
  $ tributary dev cluster --nodes 5 --data-dir /tmp/tributary-dev --base-port 19092
  $ tributary -b 127.0.0.1:19092 topic create orders -p 6`,
    )
    .action(async (opts: DevClusterOptions) => {
      ctx.exitCode = await runDevCluster(opts, ctx);
    });
  return dev;
}

function positiveInt(flag: string, value: string, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max) throw new CliError(`${flag} expects an integer from 1 to ${max}, got '${value}'.`, EXIT_USAGE);
  return n;
}

/** A TCP port on loopback that was free a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, HOST, () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr !== null ? addr.port : 0;
      s.close(() => resolvePort(port));
    });
  });
}

async function readClusterFile(path: string): Promise<ClusterFile | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CliError(`cannot read ${path}: ${errorMessage(err)}`, EXIT_USAGE);
  }
  try {
    const doc = JSON.parse(text) as ClusterFile;
    if (doc.version !== 1 || typeof doc.clusterId !== 'string' || !Array.isArray(doc.nodes) || doc.nodes.length === 0) throw new Error('unexpected content');
    return doc;
  } catch (err) {
    throw new CliError(`${path} is not a dev cluster file (${errorMessage(err)}); remove it or choose another --data-dir.`, EXIT_USAGE);
  }
}

/** The cluster recorded in the dir, or a new one (written to cluster.json). */
async function planCluster(dir: string, opts: DevClusterOptions): Promise<ClusterFile> {
  const file = join(dir, CLUSTER_FILE);
  const recorded = await readClusterFile(file);
  const nodes = opts.nodes === undefined ? undefined : positiveInt('--nodes', opts.nodes, 64);
  if (recorded) {
    if (nodes !== undefined && nodes !== recorded.nodes.length) {
      throw new CliError(`${dir} holds a ${recorded.nodes.length}-node dev cluster (${file}); use --nodes ${recorded.nodes.length}, or another --data-dir for a ${nodes}-node one.`, EXIT_USAGE);
    }
    return recorded;
  }
  const count = nodes ?? 3;
  const base = opts.basePort === undefined ? null : positiveInt('--base-port', opts.basePort, 65535 - 100 - count);
  const planned: ClusterFile = { version: 1, clusterId: randomClusterId(), nodes: [] };
  for (let id = 0; id < count; id++) {
    planned.nodes.push({ nodeId: id, port: base === null ? await freePort() : base + id, controllerPort: base === null ? await freePort() : base + 100 + id });
  }
  await mkdir(dir, { recursive: true });
  await writeFile(file, JSON.stringify(planned, null, 2) + '\n');
  return planned;
}

function nodeProperties(plan: ClusterFile, nodeId: number, dataDir: string): Record<string, string> {
  const me = plan.nodes[nodeId]!;
  return {
    'process.roles': 'broker,controller',
    'node.id': String(nodeId),
    'controller.quorum.voters': plan.nodes.map((n) => `${n.nodeId}@${HOST}:${n.controllerPort}`).join(','),
    listeners: `PLAINTEXT://${HOST}:${me.port},CONTROLLER://${HOST}:${me.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://${HOST}:${me.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'log.dirs': dataDir,
    'offsets.topic.replication.factor': '1',
  };
}

/** Starts one node's process; its stdout and stderr go to its log file, its ready line resolves `ready`. */
function spawnNode(cli: string, configFile: string, logFile: string): { child: ChildProcess; ready: Promise<void>; exited: Promise<void> } {
  const log = createWriteStream(logFile, { flags: 'a' });
  // Its own process group: a Ctrl-C at the terminal reaches only this command, which then stops the
  // nodes one way (a second signal would make a server exit without its clean shutdown).
  const child = spawn(process.execPath, [cli, 'server', '--config', configFile], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.stderr!.pipe(log, { end: false });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const ready = new Promise<void>((done, fail) => {
    const lines = createInterface({ input: child.stdout! });
    lines.on('line', (line) => {
      log.write(line + '\n');
      if (/^Tributary broker \d+ ready on /.test(line)) done();
    });
    child.once('error', fail);
    child.once('exit', (code, signal) => fail(new Error(`exited (${signal ?? `status ${code}`}) before it was ready`)));
  });
  // 'close', not 'exit': the child's pipes may still deliver output after it exited (writing that to an
  // ended stream crashed this command on Ctrl-C: ERR_STREAM_WRITE_AFTER_END).
  child.once('close', () => log.end());
  return { child, ready, exited };
}

function signalAll(nodes: readonly RunningNode[], signal: NodeJS.Signals): void {
  for (const n of nodes) {
    if (n.child.exitCode !== null || n.child.signalCode !== null) continue;
    try {
      n.child.kill(signal);
    } catch {
      // already gone
    }
  }
}

/** SIGTERM to every node, SIGKILL to those still running after STOP_TIMEOUT_MS; resolves once all exited. */
async function stopAll(nodes: readonly RunningNode[]): Promise<void> {
  signalAll(nodes, 'SIGTERM');
  const timer = setTimeout(() => signalAll(nodes, 'SIGKILL'), STOP_TIMEOUT_MS);
  await Promise.all(nodes.map((n) => n.exited));
  clearTimeout(timer);
}

export async function runDevCluster(opts: DevClusterOptions, ctx: CliContext): Promise<number> {
  const dir = resolve(opts.dataDir);
  const plan = await planCluster(dir, opts);
  const cli = fileURLToPath(new URL('../main.js', import.meta.url));
  const configs: Array<{ nodeId: number; dataDir: string; configFile: string; logFile: string }> = [];
  for (const n of plan.nodes) {
    const dataDir = join(dir, `node-${n.nodeId}`);
    const props = nodeProperties(plan, n.nodeId, dataDir);
    const configFile = join(dir, `node-${n.nodeId}.properties`);
    await writeFile(configFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
    try {
      await formatStorage({ config: parseBrokerConfig(props), clusterId: plan.clusterId, ignoreFormatted: true });
    } catch (err) {
      if (err instanceof StorageFormatError || err instanceof ConfigError) throw new CliError(`node ${n.nodeId}: ${err.message}`, EXIT_USAGE);
      throw err;
    }
    configs.push({ nodeId: n.nodeId, dataDir, configFile, logFile: join(dir, `node-${n.nodeId}.log`) });
  }

  const nodes: RunningNode[] = [];
  const readies: Array<Promise<void>> = [];
  for (const c of configs) {
    const { child, ready, exited } = spawnNode(cli, c.configFile, c.logFile);
    const p = plan.nodes[c.nodeId]!;
    nodes.push({ nodeId: c.nodeId, port: p.port, controllerPort: p.controllerPort, dataDir: c.dataDir, logFile: c.logFile, child, exited });
    readies.push(ready.catch((err: unknown) => Promise.reject(new Error(`node ${c.nodeId} ${errorMessage(err)}; see ${c.logFile}`))));
  }
  // If this process dies some other way, its nodes (in their own process groups) go with it.
  const killLeftovers = (): void => signalAll(nodes, 'SIGKILL');
  process.once('exit', killLeftovers);

  let stopping: Promise<number> | null = null;
  let onStopped!: (code: number) => void;
  const stopped = new Promise<number>((done) => (onStopped = done));
  const stop = (code: number): Promise<number> => {
    stopping ??= stopAll(nodes).then(() => {
      process.removeListener('exit', killLeftovers);
      onStopped(code);
      return code;
    });
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      ctx.stderr(`${signal} again: killing the nodes`);
      signalAll(nodes, 'SIGKILL');
      return;
    }
    ctx.stderr(`${signal}: stopping ${nodes.length} nodes`);
    void stop(0);
  };
  ctx.onSignal('SIGINT', onSignal);
  ctx.onSignal('SIGTERM', onSignal);

  let readyTimer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(readies),
      stopped.then(() => Promise.reject(new CliError('stopped before the cluster was ready', EXIT_FAILURE))),
      new Promise<never>((_, fail) => {
        readyTimer = setTimeout(() => fail(new Error(`the nodes were not ready within ${READY_TIMEOUT_MS / 1000} s; see the logs in ${dir}`)), READY_TIMEOUT_MS);
      }),
    ]);
  } catch (err) {
    await stop(EXIT_FAILURE);
    if (err instanceof CliError) throw err;
    throw new CliError(`the dev cluster did not start: ${errorMessage(err)}`, EXIT_FAILURE);
  } finally {
    clearTimeout(readyTimer);
  }

  ctx.stdout(`Tributary dev cluster ready: bootstrap ${nodes.map((n) => `${HOST}:${n.port}`).join(',')}`);
  for (const n of nodes) {
    ctx.stdout(`  node ${n.nodeId}: pid ${n.child.pid}, client ${HOST}:${n.port}, controller ${HOST}:${n.controllerPort}, data ${n.dataDir}, log ${n.logFile}`);
  }
  // A node that dies on its own is reported; the others keep running (restart the command to bring it back).
  for (const n of nodes) {
    void n.exited.then(() => {
      if (!stopping) ctx.stderr(`node ${n.nodeId} exited (${n.child.signalCode ?? `status ${n.child.exitCode}`}); see ${n.logFile}`);
    });
  }
  return stopped;
}
