/**
 * Topic configuration at run time: the effective config of each topic (cached, recomputed when its
 * overrides change), and changing the overrides with AlterConfigs (replace the whole set) and
 * IncrementalAlterConfigs (SET / DELETE / APPEND / SUBTRACT), validated, persisted in the topic
 * registry and pushed to the live partition logs.
 *
 * Concurrency: a change is planned from the current overrides and installed in the registry in the
 * same synchronous step, so concurrent changes to one topic apply in call order and never lose each
 * other's edits. The registry write (and the log update after it) happens afterwards.
 */
import type { BrokerConfig } from './config/broker-config.js';
import {
  ConfigError,
  effectiveTopicConfig,
  effectiveTopicConfigValue,
  isListTopicConfig,
  parseTopicConfigValue,
  toLogConfig,
  topicConfigDefinition,
  type TopicConfig,
} from './config/topic-config.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import type { LogConfig } from '../storage/log-config.js';
import type { ReplicaManager } from './replication/replica-manager.js';
import type { TopicInfo, TopicStore } from './topic-store.js';
import { enforcePolicy, type AlterConfigPolicy } from './policies.js';

/** IncrementalAlterConfigs operation codes (AlterConfigOp.OpType ids). */
export const ConfigOperation = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;
export type ConfigOperationCode = (typeof ConfigOperation)[keyof typeof ConfigOperation];

const OP_NAMES = ['SET', 'DELETE', 'APPEND', 'SUBTRACT'] as const;

export interface ConfigChange {
  name: string;
  value: string | null;
}

export interface IncrementalConfigChange extends ConfigChange {
  operation: number;
}

interface CachedConfig {
  /** The registry's overrides object the config was computed from (replaced, never mutated, on change). */
  readonly overrides: Readonly<Record<string, string>>;
  readonly config: TopicConfig;
  readonly logConfig: LogConfig;
}

function invalidConfig(err: unknown): KafkaError {
  if (err instanceof KafkaError) return err;
  if (err instanceof ConfigError) return new KafkaError(ErrorCode.INVALID_CONFIG, err.message);
  throw err;
}

export class TopicConfigManager {
  private readonly cache = new Map<string, CachedConfig>();

  constructor(
    private readonly topics: TopicStore,
    private readonly broker: BrokerConfig,
    private replicas: ReplicaManager | null = null,
    /** `alter.config.policy.class.name`: sees every topic config change (validateOnly ones too), as in Kafka. */
    private readonly alterConfigPolicy?: AlterConfigPolicy,
  ) {}

  /** The replica manager is built from this manager's `logConfigFor`, so it is attached afterwards. */
  attachReplicas(replicas: ReplicaManager): void {
    this.replicas = replicas;
  }

  private cached(topic: string): CachedConfig {
    const overrides = this.topics.get(topic)?.configs ?? EMPTY;
    const hit = this.cache.get(topic);
    if (hit && hit.overrides === overrides) return hit;
    const config = effectiveTopicConfig(overrides, this.broker);
    const entry: CachedConfig = { overrides, config, logConfig: toLogConfig(config) };
    if (overrides !== EMPTY) this.cache.set(topic, entry);
    else this.cache.delete(topic);
    return entry;
  }

  /** The topic's effective configuration (broker defaults for an unknown topic). */
  configFor(topic: string): TopicConfig {
    return this.cached(topic).config;
  }

  /** The storage settings of the topic's partition logs. */
  logConfigFor(topic: string): LogConfig {
    return this.cached(topic).logConfig;
  }

  /** The storage settings `overrides` give over the broker defaults (for an image not yet published). */
  logConfigForOverrides(overrides: Readonly<Record<string, string>>): LogConfig {
    return toLogConfig(effectiveTopicConfig(overrides, this.broker));
  }

  private existing(topic: string): TopicInfo {
    const info = this.topics.get(topic);
    if (!info) throw new KafkaError(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic '${topic}' does not exist.`);
    return info;
  }

  /** Throws INVALID_CONFIG unless the overrides, merged over the broker defaults, form a valid topic config. */
  validate(overrides: Readonly<Record<string, string>>): TopicConfig {
    try {
      return effectiveTopicConfig(overrides, this.broker);
    } catch (err) {
      throw invalidConfig(err);
    }
  }

  /**
   * AlterConfigs: the new overrides are exactly `changes` (every override not listed is removed,
   * as in Kafka). Returns the new overrides; with `validateOnly` nothing is changed.
   */
  async replace(topic: string, changes: readonly ConfigChange[], validateOnly: boolean): Promise<Record<string, string>> {
    this.existing(topic);
    const next: Record<string, string> = {};
    const nulls = changes.filter((c) => c.value === null).map((c) => c.name);
    if (nulls.length > 0) {
      throw new KafkaError(ErrorCode.INVALID_CONFIG, `Null value not supported for topic configs: ${nulls.join(',')}`);
    }
    checkDuplicates(changes);
    for (const c of changes) next[c.name] = c.value!;
    this.validate(next);
    enforcePolicy(this.alterConfigPolicy, { resource: { type: 'TOPIC', name: topic }, configs: next });
    if (!validateOnly) await this.install(topic, next);
    return next;
  }

  /**
   * IncrementalAlterConfigs: applies the operations to the current overrides. APPEND/SUBTRACT work
   * on LIST configs only, starting from the effective value (override, else the broker's default).
   */
  async incremental(topic: string, changes: readonly IncrementalConfigChange[], validateOnly: boolean): Promise<Record<string, string>> {
    const info = this.existing(topic);
    checkDuplicates(changes);
    const next: Record<string, string> = { ...info.configs };
    for (const c of changes) {
      const op = OP_NAMES[c.operation];
      if (op === undefined) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Unknown alter config operation ${c.operation} for config '${c.name}' (expected 0 SET, 1 DELETE, 2 APPEND or 3 SUBTRACT).`);
      if (op === 'DELETE') {
        // Deleting an override that is not there, even of a name no topic config has, changes nothing
        // and succeeds, as in Kafka 4.1 (test/interop/kafka-error-answers.test.ts): tools reset configs
        // by deleting names that may not exist on this version.
        delete next[c.name];
        continue;
      }
      if (c.value === null) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Null value not supported for : ${op}:${c.name}`);
      if (op === 'SET') {
        next[c.name] = c.value;
        continue;
      }
      if (topicConfigDefinition(c.name) === undefined) {
        try {
          parseTopicConfigValue(c.name, c.value);
        } catch (err) {
          throw invalidConfig(err);
        }
      }
      if (!isListTopicConfig(c.name)) {
        throw new KafkaError(ErrorCode.INVALID_REQUEST, `Config value ${op.toLowerCase()} is not allowed for config key: ${c.name} (only list configs such as cleanup.policy can be appended to or subtracted from)`);
      }
      const current = splitList(next[c.name] ?? this.effectiveValue(next, c.name) ?? '');
      const values = splitList(c.value);
      const merged = op === 'APPEND' ? [...current, ...values.filter((v) => !current.includes(v))] : current.filter((v) => !values.includes(v));
      next[c.name] = merged.join(',');
    }
    this.validate(next);
    enforcePolicy(this.alterConfigPolicy, { resource: { type: 'TOPIC', name: topic }, configs: next });
    if (!validateOnly) await this.install(topic, next);
    return next;
  }

  /**
   * The value a config has under `overrides`. Computing it parses every override, so an invalid value
   * set earlier in the same request (SET retention.ms=x, then APPEND cleanup.policy) is INVALID_CONFIG
   * here, not an unexpected error (found by the fuzzer: it answered UNKNOWN_SERVER_ERROR).
   */
  private effectiveValue(overrides: Readonly<Record<string, string>>, name: string): string | null {
    try {
      return effectiveTopicConfigValue(overrides, this.broker, name);
    } catch (err) {
      throw invalidConfig(err);
    }
  }

  /** Installs new overrides: registry (memory now, disk atomically), then every live partition log. */
  private async install(topic: string, overrides: Record<string, string>): Promise<void> {
    const info = await this.topics.setConfigs(topic, overrides);
    const logConfig = this.logConfigFor(topic);
    if (this.replicas === null) return;
    for (let p = 0; p < info.partitions; p++) this.replicas.tryGet(topic, p)?.log.updateConfig(logConfig);
  }
}

const EMPTY: Readonly<Record<string, string>> = Object.freeze({});

function splitList(raw: string): string[] {
  return raw
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

function checkDuplicates(changes: readonly ConfigChange[]): void {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const c of changes) (seen.has(c.name) ? dups : seen).add(c.name);
  if (dups.size > 0) throw new KafkaError(ErrorCode.INVALID_REQUEST, `Error due to duplicate config keys : ${[...dups].join(',')}`);
}
