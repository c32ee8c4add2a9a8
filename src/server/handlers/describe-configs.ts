import { DescribeConfigsApi } from '../../protocol/messages/index.js';
import type { DescribeConfigsRequest, DescribeConfigsResourceResult, DescribeConfigsResponse, DescribeConfigsResult } from '../../protocol/messages/describe-configs.js';
import { ErrorCode } from '../../protocol/errors.js';
import { DESCRIBE_CONFIG_TYPE_CODES, describeBrokerConfig, type ConfigEntryDescription, type ConfigSource } from '../../cluster/config/broker-config.js';
import { describeTopicConfig } from '../../cluster/config/topic-config.js';
import { register, type Reply, type RequestContext } from '../request-context.js';

const TOPIC = 2;
const BROKER = 4;

/** Kafka's DescribeConfigsResponse.ConfigSource ids. */
const SOURCE_IDS: Record<ConfigSource, number> = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 };

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
      const message = entries === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION ? `Topic '${r.resourceName}' does not exist.` : `Unsupported resource type ${r.resourceType} / name '${r.resourceName}'`;
      results.push({ errorCode: entries, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName, configs: [] });
      continue;
    }
    const wanted = r.configurationKeys === null ? null : new Set(r.configurationKeys);
    const configs: Array<Reply<DescribeConfigsResourceResult>> = entries
      .filter((e) => wanted === null || wanted.has(e.name))
      .map((e) => ({
        name: e.name,
        value: e.value,
        readOnly: e.readOnly,
        isDefault: e.source === 'DEFAULT_CONFIG',
        configSource: SOURCE_IDS[e.source],
        isSensitive: e.sensitive,
        synonyms: [],
        configType: DESCRIBE_CONFIG_TYPE_CODES[e.type],
        documentation: req.includeDocumentation ? e.documentation : null,
      }));
    results.push({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName, configs });
  }
  return { throttleTimeMs: 0, results };
});
