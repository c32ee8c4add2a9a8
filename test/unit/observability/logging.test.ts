/**
 * The broker's logging properties: `log.level` and `log.level.components` (parsing, validation,
 * precedence against TRIBUTARY_LOG_LEVEL), the JSON-or-pretty choice, and that a component's level
 * takes effect on the child loggers the broker creates.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { pino } from 'pino';
import { ConfigError, parseBrokerConfig } from '../../../src/cluster/config/broker-config.js';
import { LOG_COMPONENTS } from '../../../src/cluster/config/log-levels.js';
import { CliError, EXIT_USAGE } from '../../../src/cli/errors.js';
import { createCliLogger } from '../../../src/cli/logger.js';
import { applyLogLevels, chooseLogFormat, logDestination, prettyColours, resolveLogLevels, rootLogLevel } from '../../../src/server/observability/logging.js';
import { repoRoot } from '../../helpers/paths.js';

function configError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, `expected ConfigError, got ${String(err)}`);
    for (const p of patterns) assert.match(err.message, p);
    return true;
  });
}

test('log.level: info by default, any pino level (case-insensitive), anything else refused', () => {
  assert.equal(parseBrokerConfig({}).logLevel, 'info');
  assert.equal(parseBrokerConfig({ 'log.level': 'DEBUG' }).logLevel, 'debug');
  assert.equal(parseBrokerConfig({ 'log.level': 'silent' }).logLevel, 'silent');
  configError(() => parseBrokerConfig({ 'log.level': 'loud' }), /'log\.level'/, /'loud'/, /one of fatal, error, warn, info, debug, trace, silent/);
});

test('log.level.components: component=level pairs, checked against the known components', () => {
  assert.equal(parseBrokerConfig({}).logLevelComponents.size, 0);
  assert.equal(parseBrokerConfig({ 'log.level.components': '' }).logLevelComponents.size, 0);
  const c = parseBrokerConfig({ 'log.level.components': 'replica-fetcher=debug, group-coordinator:WARN,raft=trace' });
  assert.deepEqual([...c.logLevelComponents], [
    ['replica-fetcher', 'debug'],
    ['group-coordinator', 'warn'],
    ['raft', 'trace'],
  ]);
  configError(() => parseBrokerConfig({ 'log.level.components': 'raft' }), /'log\.level\.components'/, /component=level/);
  configError(() => parseBrokerConfig({ 'log.level.components': 'raft=loud' }), /'log\.level\.components'/, /level one of/);
  configError(() => parseBrokerConfig({ 'log.level.components': 'replica-fetchr=debug' }), /'replica-fetchr' is not a logging component/, /did you mean 'replica-fetcher'/);
});

test('LOG_COMPONENTS is exactly the components the broker process creates loggers for', () => {
  const found = new Set<string>(['broker']); // the base binding of the broker's own default logger
  const scan = (file: string): void => {
    for (const m of readFileSync(file, 'utf8').matchAll(/component: '([a-z0-9-]+)'/g)) found.add(m[1]!);
  };
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const p = path.join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts')) scan(p);
    }
  };
  for (const layer of ['server', 'cluster', 'storage', 'network']) walk(path.join(repoRoot, 'src', layer));
  scan(path.join(repoRoot, 'src', 'cli', 'commands', 'server.ts'));
  assert.deepEqual([...found].sort(), [...LOG_COMPONENTS].sort());
});

test('precedence: TRIBUTARY_LOG_LEVEL wins over log.level; component levels apply either way', () => {
  const set = parseBrokerConfig({ 'log.level': 'warn', 'log.level.components': 'raft=debug' });
  const unset = parseBrokerConfig({});
  // A logger handed to the broker keeps its level unless log.level is given and the env is not set.
  assert.equal(resolveLogLevels(set, {}).level, 'warn');
  assert.equal(resolveLogLevels(set, { TRIBUTARY_LOG_LEVEL: 'error' }).level, null);
  assert.equal(resolveLogLevels(set, { TRIBUTARY_LOG_LEVEL: '  ' }).level, 'warn', 'empty env = unset');
  assert.equal(resolveLogLevels(unset, {}).level, null);
  assert.equal(resolveLogLevels(set, { TRIBUTARY_LOG_LEVEL: 'error' }).components.get('raft'), 'debug');
  // The broker's own logger: env, else log.level (default info).
  assert.equal(rootLogLevel(set, { TRIBUTARY_LOG_LEVEL: ' ERROR ' }), 'error');
  assert.equal(rootLogLevel(set, {}), 'warn');
  assert.equal(rootLogLevel(unset, {}), 'info');
});

test('format: pretty on a terminal, JSON otherwise; TRIBUTARY_LOG_FORMAT forces one', () => {
  assert.equal(chooseLogFormat(true, {}), 'pretty');
  assert.equal(chooseLogFormat(false, {}), 'json');
  assert.equal(chooseLogFormat(true, { TRIBUTARY_LOG_FORMAT: 'auto' }), 'pretty');
  assert.equal(chooseLogFormat(true, { TRIBUTARY_LOG_FORMAT: 'json' }), 'json');
  assert.equal(chooseLogFormat(false, { TRIBUTARY_LOG_FORMAT: ' Pretty ' }), 'pretty');
  assert.throws(() => chooseLogFormat(false, { TRIBUTARY_LOG_FORMAT: 'xml' }), /TRIBUTARY_LOG_FORMAT='xml' is not a log format; use one of auto, json, pretty/);
  assert.equal(prettyColours(true, {}), true);
  assert.equal(prettyColours(true, { NO_COLOR: '1' }), false);
  assert.equal(prettyColours(true, { TERM: 'dumb' }), false);
  assert.equal(prettyColours(false, {}), false);
  assert.equal(prettyColours(false, { FORCE_COLOR: '1' }), true);
});

test('the CLI logger refuses a bad TRIBUTARY_LOG_LEVEL or TRIBUTARY_LOG_FORMAT with a usage error', () => {
  for (const env of [{ TRIBUTARY_LOG_LEVEL: 'loud' }, { TRIBUTARY_LOG_FORMAT: 'xml' }]) {
    assert.throws(
      () => createCliLogger(env, false),
      (err: unknown) => err instanceof CliError && err.exitCode === EXIT_USAGE,
    );
  }
  assert.equal(createCliLogger({ TRIBUTARY_LOG_LEVEL: 'warn' }, false).level, 'warn');
});

/** A pino logger at `level` whose lines land in `lines` (parsed). */
function memoryLogger(level: string): { logger: pino.Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done): void {
      for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

test('a component level takes effect on that component (and its children), not on the others', () => {
  const { logger, lines } = memoryLogger('info');
  const config = parseBrokerConfig({ 'log.level.components': 'raft=debug,group-coordinator=error' });
  const root = applyLogLevels(logger, config, {});
  const raft = root.child({ component: 'raft' });
  const network = root.child({ component: 'network' });
  const groups = root.child({ component: 'group-coordinator' });
  raft.debug('raft debug');
  raft.child({ partition: 0 }).debug('raft child debug');
  network.debug('network debug');
  network.info('network info');
  groups.warn('groups warn');
  groups.error('groups error');
  // A nested component named on its own gets its own level.
  raft.child({ component: 'group-coordinator' }).info('nested groups info');
  root.debug('root debug');
  assert.deepEqual(
    lines.map((l) => l['msg']),
    ['raft debug', 'raft child debug', 'network info', 'groups error'],
  );
  assert.equal(raft.level, 'debug');
  assert.equal(network.level, 'info');
});

test('log.level lowers or raises a given logger unless TRIBUTARY_LOG_LEVEL is set; nothing given: the logger itself', () => {
  const { logger, lines } = memoryLogger('info');
  assert.equal(applyLogLevels(logger, parseBrokerConfig({}), {}), logger);
  const warn = applyLogLevels(logger, parseBrokerConfig({ 'log.level': 'warn' }), {});
  warn.child({ component: 'network' }).info('dropped');
  warn.child({ component: 'network' }).warn('kept');
  const envWins = applyLogLevels(logger, parseBrokerConfig({ 'log.level': 'warn' }), { TRIBUTARY_LOG_LEVEL: 'info' });
  envWins.child({ component: 'network' }).info('kept too');
  assert.deepEqual(
    lines.map((l) => l['msg']),
    ['kept', 'kept too'],
  );
});

test('pretty destination: one readable line per event, component first, synchronously written', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'tributary-log-'));
  try {
    const file = path.join(dir, 'log.txt');
    const fd = openSync(file, 'w');
    const logger = pino({ level: 'info', base: { pid: 1 } }, logDestination('pretty', { fd, sync: true, colours: false }));
    logger.child({ component: 'raft' }).info({ epoch: 3 }, 'became raft leader');
    // Synchronous: on disk before anything else runs.
    const text = readFileSync(file, 'utf8');
    closeSync(fd);
    assert.match(text, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: \[raft\] became raft leader \{"epoch":3\}\n$/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
