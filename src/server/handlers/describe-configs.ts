import { DescribeConfigsApi } from '../../protocol/messages/index.js';
import type { DescribeConfigsRequest, DescribeConfigsResourceResult, DescribeConfigsResponse, DescribeConfigsResult, DescribeConfigsSynonym } from '../../protocol/messages/describe-configs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { DESCRIBE_CONFIG_TYPE_CODES, describeBrokerConfig, parseBrokerConfig, type BrokerConfig, type ConfigEntryDescription, type ConfigSource } from '../../cluster/config/broker-config.js';
import { TOPIC_CONFIG_BROKER_SYNONYMS } from '../../cluster/config/synonyms.js';
import { describeTopicConfig } from '../../cluster/config/topic-config.js';
import { register, type Reply, type RequestContext } from '../request-context.js';

const TOPIC = 2;
const BROKER = 4;

/** Kafka's DescribeConfigsResponse.ConfigSource ids. */
const SOURCE_IDS: Record<ConfigSource, number> = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };

/** Each broker property's built-in default as DescribeConfigs renders it (null: none). */
let builtInDefaults: ReadonlyMap<string, string | null> | null = null;
function defaults(): ReadonlyMap<string, string | null> {
  builtInDefaults ??= new Map(describeBrokerConfig(parseBrokerConfig({})).map((e) => [e.name, e.value]));
  return builtInDefaults;
}

/**
 * The synonyms of one broker property, as Kafka 4.1 lists them: its static value (set in
 * server.properties), then its built-in default where it has one (log.retention.ms, whose default
 * is null, lists none; Kafka does not expand it to log.retention.hours here).
 */
function brokerSynonyms(names: readonly string[], config: BrokerConfig, brokerEntries: ReadonlyMap<string, ConfigEntryDescription>): DescribeConfigsSynonym[] {
  const out: DescribeConfigsSynonym[] = [];
  for (const n of names) {
    const entry = brokerEntries.get(n);
    if (!entry) continue;
    if (config.explicitProperties.has(n)) out.push({ name: n, value: entry.value, source: SOURCE_IDS.STATIC_BROKER_CONFIG });
    const d = entry.sensitive ? null : defaults().get(n);
    if (d !== null && d !== undefined) out.push({ name: n, value: d, source: SOURCE_IDS.DEFAULT_CONFIG });
  }
  return out;
}

function synonymsOf(resourceType: number, e: ConfigEntryDescription, ctx: RequestContext, brokerEntries: ReadonlyMap<string, ConfigEntryDescription>): DescribeConfigsSynonym[] {
  const { config } = ctx.services;
  if (resourceType === BROKER) return brokerSynonyms([e.name], config, brokerEntries);
  // A topic config: its override, then only the primary broker property behind it (retention.ms
  // → log.retention.ms, not log.retention.hours), checked against Kafka 4.1 in test/interop.
  const own = e.source === 'DYNAMIC_TOPIC_CONFIG' ? [{ name: e.name, value: e.value, source: SOURCE_IDS.DYNAMIC_TOPIC_CONFIG }] : [];
  return [...own, ...brokerSynonyms(TOPIC_CONFIG_BROKER_SYNONYMS[e.name]?.slice(0, 1) ?? [], config, brokerEntries)];
}

function entriesFor(resourceType: number, name: string, ctx: RequestContext): ConfigEntryDescription[] | ErrorCode {
  const { config, topics, identity } = ctx.services;
  if (resourceType === TOPIC) {
    const info = topics.get(name);
    if (!info) return ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
    return describeTopicConfig(info.configs, config);
  }
  if (resourceType === BROKER) {
    if (name !== '' && name !== String(identity.nodeId)) return ErrorCode.INVALID_REQUEST;
    return describeBrokerConfig(config);
  }
  return ErrorCode.INVALID_REQUEST;
}

export const describeConfigsHandler = register<DescribeConfigsRequest, Reply<DescribeConfigsResponse>>(DescribeConfigsApi, 0, 4, (req, ctx) => {
  const results: Array<Reply<DescribeConfigsResult>> = [];
  for (const r of req.resources) {
    const entries = entriesFor(r.resourceType, r.resourceName, ctx);
    if (typeof entries === 'number') {
      // Kafka 4.1 answers an unknown topic with an empty message (the client knows which topic it asked for).
      const message = entries === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? '' : `Unsupported resource type ${r.resourceType} / name '${r.resourceName}'`;
      results.push({ errorCode: entries, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] });
      continue;
    }
    const wanted = r.configurationKeys === null ? null : new Set(r.configurationKeys);
    const brokerEntries = req.includeSynonyms ? new Map(describeBrokerConfig(ctx.services.config).map((e) => [e.name, e])) : new Map<string, ConfigEntryDescription>();
    const configs: Array<Reply<DescribeConfigsResourceResult>> = entries
      .filter((e) => wanted === null || wanted.has(e.name))
      .map((e) => ({
        name: e.name,
        value: e.value,
        readOnly: e.readOnly,
        isDefault: e.source === 'DEFAULT_CONFIG',
        configSource: SOURCE_IDS[e.source],
        isSensitive: e.sensitive,
        synonyms: req.includeSynonyms ? synonymsOf(r.resourceType, e, ctx, brokerEntries) : [],
        configType: DESCRIBE_CONFIG_TYPE_CODES[e.type],
        documentation: req.includeDocumentation ? e.documentation : null,
      }));
    // Kafka writes an empty message (not null) for a resource it described.
    results.push({ errorCode: ErrorCode.NONE, errorMessage: '', resourceType: r.resourceType, resourceName: r.resourceName, configs });
  }
  return { throttleTimeMs: 0, results };
});
