/**
 * Apache Kafka itself, on demand, as the yardstick for benchmarks and interop tests.
 *
 * - `ensureKafkaLib()`: the broker, its tools and the Java client as jars in
 *   ~/.cache/tributary/kafka-<version>/lib (Maven copies them there from test/interop/kafka/pom.xml
 *   the first time; later calls reuse the directory). Needs `java` and `mvn` on PATH.
 * - `runKafkaTool(mainClass, args)`: one of Kafka's command-line tools from those jars, the way
 *   bin/kafka-*.sh runs it (`kafka-run-class`), e.g. `org.apache.kafka.tools.TopicCommand`.
 * - `startKafka()`: a KRaft combined node (broker + controller) on 127.0.0.1 with free ports and a
 *   temp dir, the storage formatted as `kafka-storage format --standalone` does, the default flush
 *   policy and kafka-server-start's default heap (-Xmx1G -Xms1G); stopped by PID, temp dir removed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { makeTempDir, removeTempDir, trackChild } from './cleanup.js';
import { repoRoot } from './paths.js';
import { freePort } from './ports.js';
import { runProcess, formatRunFailure, type RunResult } from './proc.js';

/** Keep in step with `kafka.version` in test/interop/kafka/pom.xml. */
export const KAFKA_VERSION = '4.1.1';

export const kafkaPom = path.join(repoRoot, 'test', 'interop', 'kafka', 'pom.xml');

export function kafkaHome(): string {
  return path.join(process.env['TRIBUTARY_CACHE_DIR'] ?? path.join(os.homedir(), '.cache', 'tributary'), `kafka-${KAFKA_VERSION}`);
}

export function kafkaLibDir(): string {
  return path.join(kafkaHome(), 'lib');
}

/** `java -cp` argument for the cached jars. */
export function kafkaClasspath(): string {
  return path.join(kafkaLibDir(), '*');
}

const INSTALL_HINT = `run \`bash .ci/run\` or \`mvn -B -q -f ${path.relative(repoRoot, kafkaPom)} dependency:copy-dependencies -DoutputDirectory=${kafkaLibDir()}\``;

/**
 * Makes sure the jars are in the cache: copies them with Maven when the directory is missing
 * (into a sibling temp dir first, renamed at the end, so an interrupted copy is never reused).
 */
export async function ensureKafkaLib(): Promise<string> {
  const lib = kafkaLibDir();
  if (fs.existsSync(path.join(lib, `kafka_2.13-${KAFKA_VERSION}.jar`))) return lib;
  fs.mkdirSync(kafkaHome(), { recursive: true });
  const tmp = `${lib}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  const r = await runProcess('mvn', ['-B', '-q', '-f', kafkaPom, 'dependency:copy-dependencies', `-DoutputDirectory=${tmp}`], { timeoutMs: 600_000 });
  if (r.code !== 0) throw new Error(`could not fetch Apache Kafka ${KAFKA_VERSION} with Maven (${INSTALL_HINT})\n${formatRunFailure(r, 'mvn')}`);
  if (!fs.existsSync(lib)) fs.renameSync(tmp, lib);
  else fs.rmSync(tmp, { recursive: true, force: true });
  return lib;
}

/** A log4j2 config: WARN and above to stderr, plus the one INFO line that says the server started. */
function writeLog4j(dir: string): string {
  const file = path.join(dir, 'log4j2.yaml');
  fs.writeFileSync(
    file,
    [
      'Configuration:',
      '  Appenders:',
      '    Console:',
      '      name: STDERR',
      '      target: SYSTEM_ERR',
      '      PatternLayout:',
      '        pattern: "[%d] %p %m (%c)%n"',
      '  Loggers:',
      '    Root:',
      '      level: WARN',
      '      AppenderRef:',
      '        - ref: STDERR',
      '    Logger:',
      '      - name: kafka.server.KafkaRaftServer',
      '        level: INFO',
      '',
    ].join('\n'),
  );
  return file;
}

let toolLog4j: string | null = null;
function toolLog4jFile(): string {
  if (toolLog4j && fs.existsSync(toolLog4j)) return toolLog4j;
  const dir = path.join(kafkaHome(), 'config');
  fs.mkdirSync(dir, { recursive: true });
  toolLog4j = writeLog4j(dir);
  return toolLog4j;
}

export interface KafkaToolOptions {
  timeoutMs?: number;
  input?: string | Buffer;
  /** JVM heap, as the bin/ scripts set it. Default 256 MiB (kafka-run-class's); 512 MiB for the perf tools. */
  heap?: string;
  cwd?: string;
}

/** Runs `java -cp <cache>/lib/* <mainClass> ...args` (as bin/kafka-run-class.sh does) and returns its result. */
export async function runKafkaTool(mainClass: string, args: readonly string[], opts: KafkaToolOptions = {}): Promise<RunResult> {
  await ensureKafkaLib();
  const heap = opts.heap ?? '256M';
  return runProcess(
    'java',
    [`-Xmx${heap}`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-Djava.awt.headless=true', `-Dlog4j2.configurationFile=${toolLog4jFile()}`, '-cp', kafkaClasspath(), mainClass, ...args],
    { timeoutMs: opts.timeoutMs ?? 60_000, ...(opts.input !== undefined ? { input: opts.input } : {}), ...(opts.cwd ? { cwd: opts.cwd } : {}) },
  );
}

/** Like runKafkaTool, but throws with the tool's output unless it exits 0. */
export async function runKafkaToolChecked(mainClass: string, args: readonly string[], opts: KafkaToolOptions = {}): Promise<RunResult> {
  const r = await runKafkaTool(mainClass, args, opts);
  if (r.code !== 0 || r.timedOut) throw new Error(formatRunFailure(r, mainClass));
  return r;
}

export { freePort };

/**
 * A Kafka cluster id as `kafka-storage random-uuid` prints it: 16 random bytes, URL-safe base64
 * without padding, never starting with '-' (Kafka's Uuid.randomUuid re-draws those: a leading
 * dash reads as an option on a command line).
 */
export function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export interface KafkaBroker {
  host: string;
  port: number;
  bootstrap: string;
  pid: number;
  dataDir: string;
  /** Milliseconds from spawning the JVM to the "Kafka Server started" line (formatting not included). */
  readyMs: number;
  /** Milliseconds `kafka-storage format` took. */
  formatMs: number;
  rssBytes(): number;
  cpuSeconds(): number;
  /** The server's stderr so far (WARN and above), for failure messages. */
  logs(): string;
  stop(): Promise<void>;
}

export interface StartKafkaOptions {
  /** server.properties entries on top of the combined-node defaults below. */
  overrides?: Record<string, string | number | boolean>;
  readyTimeoutMs?: number;
  /** Default '1G' (kafka-server-start.sh's KAFKA_HEAP_OPTS: -Xmx1G -Xms1G). */
  heap?: string;
}

/** kafka-run-class.sh's KAFKA_JVM_PERFORMANCE_OPTS. */
const JVM_PERFORMANCE_OPTS = ['-server', '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20', '-XX:InitiatingHeapOccupancyPercent=35', '-XX:+ExplicitGCInvokesConcurrent', '-XX:MaxInlineLevel=15', '-Djava.awt.headless=true'];

export async function startKafka(opts: StartKafkaOptions = {}): Promise<KafkaBroker> {
  await ensureKafkaLib();
  const dir = await makeTempDir('kafka-ref');
  const dataDir = path.join(dir, 'data');
  const [port, controllerPort] = [await freePort(), await freePort()];
  // config/server.properties of the distribution (KRaft combined mode), with our ports and dir.
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.bootstrap.servers': `127.0.0.1:${controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${port}`,
    'inter.broker.listener.name': 'PLAINTEXT',
    'controller.listener.names': 'CONTROLLER',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': dataDir,
    'num.partitions': 1,
    'offsets.topic.replication.factor': 1,
    'share.coordinator.state.topic.replication.factor': 1,
    'share.coordinator.state.topic.min.isr': 1,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'group.initial.rebalance.delay.ms': 0,
    ...opts.overrides,
  };
  const propsFile = path.join(dir, 'server.properties');
  fs.writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${String(v)}`).join('\n') + '\n');
  const log4j = writeLog4j(dir);
  const f0 = Date.now();
  await runKafkaToolChecked('kafka.tools.StorageTool', ['format', '--cluster-id', randomClusterId(), '--config', propsFile, '--standalone'], { timeoutMs: 120_000 });
  const formatMs = Date.now() - f0;
  const heap = opts.heap ?? '1G';
  const started = process.hrtime.bigint();
  const child: ChildProcess = spawn('java', [`-Xmx${heap}`, `-Xms${heap}`, ...JVM_PERFORMANCE_OPTS, `-Dlog4j2.configurationFile=${log4j}`, '-cp', kafkaClasspath(), 'kafka.Kafka', propsFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  trackChild(child);
  let logs = '';
  child.stderr!.setEncoding('utf8');
  const readyTimeoutMs = opts.readyTimeoutMs ?? 120_000;
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Kafka not ready after ${readyTimeoutMs} ms:\n${logs.slice(-4000)}`)), readyTimeoutMs);
      child.stderr!.on('data', (d: string) => {
        logs += d;
        if (logs.length > 1 << 20) logs = logs.slice(-(1 << 19));
        if (/Kafka Server started/.test(logs)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.stdout!.resume();
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`Kafka exited (${code ?? signal}) before it was ready:\n${logs.slice(-4000)}`));
      });
    });
  } catch (err) {
    child.kill('SIGKILL');
    await removeTempDir(dir);
    throw err;
  }
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  const pid = child.pid!;
  return {
    host: '127.0.0.1',
    port,
    bootstrap: `127.0.0.1:${port}`,
    pid,
    dataDir,
    readyMs,
    formatMs,
    rssBytes: () => rssOf(pid),
    cpuSeconds: () => cpuOf(pid),
    logs: () => logs,
    stop: async () => {
      await stopChild(child, 20_000);
      await removeTempDir(dir);
    },
  };
}

/** SIGTERM (a controlled shutdown), then SIGKILL after `graceMs`; resolves when the process is gone. */
async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export function rssOf(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : NaN;
}

/** utime + stime of a process in seconds (clock ticks of 100 Hz, as on Linux). */
export function cpuOf(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}
