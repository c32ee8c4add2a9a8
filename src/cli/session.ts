/**
 * Connecting commands to the cluster through the client (never broker internals): builds an Admin
 * or Producer from the global flags, bounds how long reaching the broker may take, and turns
 * client errors into one-line CLI errors that say what went wrong and what to try.
 */
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { Admin } from '../client/admin/admin.js';
import type { Cluster } from '../client/cluster/cluster.js';
import { ClientConfigError, ErrorCode, KafkaError, UnsupportedFeatureError } from '../client/errors.js';
import type { CliContext } from './context.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, errorMessage } from './errors.js';
import { loadClientSettings, type ClientSettings } from './globals.js';
import { colourFor, makeStyle, type Style } from './output.js';

export interface Session {
  readonly settings: ClientSettings;
  readonly ctx: CliContext;
  /** Style for stdout (colour only on a terminal). */
  readonly out: Style;
  /** Style for stderr. */
  readonly err: Style;
}

export async function openSession(cmd: Command, ctx: CliContext): Promise<Session> {
  const settings = await loadClientSettings(cmd);
  return {
    settings,
    ctx,
    out: makeStyle(colourFor(process.stdout, settings.color)),
    err: makeStyle(colourFor(process.stderr, settings.color)),
  };
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Resolves with `p`, or rejects with `onTimeout()` after `ms`. */
export function bounded<T>(p: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

export function unreachable(s: ClientSettings, cause?: unknown): CliError {
  const text = cause === undefined ? '' : errorMessage(cause);
  let why: string;
  if (/ECONNREFUSED/.test(text)) why = 'connection refused';
  else if (/ENOTFOUND|EAI_AGAIN/.test(text)) why = 'host name not found';
  else if (/EHOSTUNREACH|ENETUNREACH/.test(text)) why = 'host unreachable';
  else if (/frame of \d+ bytes exceeds/.test(text)) why = 'something answered, but not in the Kafka protocol — is that the right port?';
  else if (cause === undefined || /timed out|within|ETIMEDOUT/.test(text)) why = `no answer within ${seconds(s.timeoutMs)}`;
  else why = text;
  return new CliError(
    `cannot reach a broker at ${s.bootstrap} (${why}) — is it running? Start one with \`tributary server\`, ` +
      'or point at another with -b host:port (or TRIBUTARY_BOOTSTRAP_SERVERS); --timeout sets how long to wait.',
    EXIT_FAILURE,
  );
}

/** Bootstraps `cluster` (reads metadata) within the session timeout, or fails with a clear message. */
export async function reach(s: Session, cluster: Cluster): Promise<void> {
  try {
    await bounded(cluster.connect(), s.settings.timeoutMs, () => unreachable(s.settings));
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw unreachable(s.settings, err);
  }
}

/**
 * The client's logger for a command: the CLI's pino logger on stderr, at TRIBUTARY_LOG_LEVEL or,
 * unless set, 'warn' — client chatter (joins, reconnects) would drown the command's output.
 */
export function clientLogger(s: Session, component: string): Logger {
  const level = process.env['TRIBUTARY_LOG_LEVEL']?.trim().toLowerCase() || 'warn';
  return s.ctx.logger().child({ component }, { level });
}

/** Runs `fn` with a connected Admin; closes it afterwards; translates errors. */
export async function withAdmin<T>(s: Session, fn: (admin: Admin) => Promise<T>, hints: ErrorHints = {}): Promise<T> {
  let admin: Admin;
  try {
    admin = new Admin({ ...s.settings.client, logger: clientLogger(s, 'cli-admin') });
  } catch (err) {
    throw explain(err, s.settings, hints);
  }
  try {
    await reach(s, admin.cluster);
    return await fn(admin);
  } catch (err) {
    throw explain(err, s.settings, hints);
  } finally {
    await admin.close();
  }
}

export interface ErrorHints {
  /** The topic(s) the command is about, for "topic 'x' does not exist". */
  topic?: string;
  group?: string;
}

/** Translates any error into a CliError with a next step. */
export function explain(err: unknown, settings: ClientSettings, hints: ErrorHints = {}): CliError {
  if (err instanceof CliError) return err;
  if (err instanceof ClientConfigError || err instanceof UnsupportedFeatureError) {
    return new CliError(`${err.message}. Check your flags and --command-config.`, EXIT_USAGE);
  }
  if (err instanceof KafkaError) {
    const topic = hints.topic ?? /topic '([^']+)'/.exec(err.message)?.[1];
    const group = hints.group ?? /group '([^']+)'/.exec(err.message)?.[1];
    switch (err.code) {
      case ErrorCode.UNKNOWN_TOPIC_OR_PARTITION:
        if (topic !== undefined && !/partition \d+ of/.test(err.message)) {
          return new CliError(`topic '${topic}' does not exist — list topics with \`tributary topic list\`, or create it with \`tributary topic create ${topic}\`.`);
        }
        return new CliError(`${err.message} — check the topic and partition with \`tributary topic describe${topic ? ` ${topic}` : ''}\`.`);
      case ErrorCode.TOPIC_ALREADY_EXISTS:
        return new CliError(`topic '${topic ?? '?'}' already exists — see it with \`tributary topic describe ${topic ?? '<topic>'}\`, or pass --if-not-exists.`);
      case ErrorCode.INVALID_TOPIC_EXCEPTION:
        return new CliError(`${err.message} — topic names use letters, digits, '.', '_' and '-', up to 249 characters.`);
      case ErrorCode.INVALID_PARTITIONS:
        return new CliError(`${err.message} — the partition count must be at least 1 and can only grow; see the current count with \`tributary topic describe${topic ? ` ${topic}` : ''}\`.`);
      case ErrorCode.INVALID_REPLICATION_FACTOR:
        return new CliError(`${err.message} — the replication factor cannot exceed the number of brokers; see them with \`tributary cluster info\`.`);
      case ErrorCode.INVALID_CONFIG:
      case ErrorCode.INVALID_REQUEST:
      case ErrorCode.POLICY_VIOLATION:
        return new CliError(`${err.message} — check the config name and value; list a topic's configs with \`tributary config get${topic ? ` ${topic}` : ' <topic>'}\`.`);
      case ErrorCode.MESSAGE_TOO_LARGE:
      case ErrorCode.RECORD_LIST_TOO_LARGE:
        return new CliError(`${err.message} — the record is larger than the topic's max.message.bytes (or the producer's max.request.size).`);
      case ErrorCode.UNSUPPORTED_VERSION:
        return new CliError(`${err.message} — the broker does not support this operation.`);
      case ErrorCode.GROUP_ID_NOT_FOUND:
        return new CliError(`group '${group ?? '?'}' does not exist — list groups with \`tributary group list\`.`);
      case ErrorCode.NON_EMPTY_GROUP:
        return new CliError(`group '${group ?? '?'}' still has active members — stop its consumers first; see them with \`tributary group describe ${group ?? '<group>'}\`.`);
      case ErrorCode.UNKNOWN_MEMBER_ID:
      case ErrorCode.ILLEGAL_GENERATION:
      case ErrorCode.REBALANCE_IN_PROGRESS:
        if (group !== undefined) {
          return new CliError(`group '${group}' has active members, so its offsets cannot be changed — stop its consumers first (see \`tributary group describe ${group}\`).`);
        }
        break;
      case ErrorCode.NETWORK_EXCEPTION:
      case ErrorCode.REQUEST_TIMED_OUT:
        return new CliError(`${err.message} — the broker at ${settings.bootstrap} stopped answering; check that it is running, or raise --timeout.`);
      default:
        break;
    }
    return new CliError(`${err.message}.`);
  }
  return new CliError(`unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`, EXIT_FAILURE);
}
