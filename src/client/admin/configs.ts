/**
 * Configs: DescribeConfigs and IncrementalAlterConfigs. Broker resources go to that broker;
 * topic and cluster-wide resources to any broker. A broker that does not advertise
 * IncrementalAlterConfigs fails the call with KafkaError(UNSUPPORTED_VERSION) naming the API.
 */
import { DescribeConfigsApi, IncrementalAlterConfigsApi } from '../../protocol/messages/index.js';
import type { DescribeConfigsResponse } from '../../protocol/messages/describe-configs.js';
import type { IncrementalAlterConfigsResponse } from '../../protocol/messages/incremental-alter-configs.js';
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { Cluster } from '../cluster/cluster.js';
import type { BrokerLink } from '../cluster/broker-link.js';
import { responseError } from '../errors.js';
import type { AlterConfigsResource, ConfigResource, ResourceConfigs } from './types.js';
import { configSourceName, groupBy, resourceTypeCode, resourceTypeName } from './util.js';

const OPS = { set: 0, delete: 1, append: 2, subtract: 3 } as const;

/** Broker-specific resources must be sent to that broker; others to anyone. */
function targetOf(cluster: Cluster, type: string, name: string): BrokerLink {
  if ((type === 'broker' || type === 'broker-logger') && /^\d+$/.test(name)) return cluster.link(Number(name));
  return cluster.anyLink();
}

export async function describeConfigs(
  cluster: Cluster,
  resources: readonly ConfigResource[],
  opts: { includeSynonyms?: boolean } = {},
): Promise<ResourceConfigs[]> {
  await cluster.connect();
  const groups = groupBy(resources, (r) => ((r.type === 'broker' || r.type === 'broker-logger') && /^\d+$/.test(r.name) ? Number(r.name) : -1));
  const out: ResourceConfigs[] = [];
  const failures: KafkaError[] = [];
  for (const [, list] of groups) {
    const res = await cluster.withRetries('DescribeConfigs', {}, () =>
      targetOf(cluster, list[0]!.type, list[0]!.name).request<DescribeConfigsResponse>(DescribeConfigsApi, {
        resources: list.map((r) => ({ resourceType: resourceTypeCode(r.type), resourceName: r.name, configurationKeys: r.keys ?? null })),
        includeSynonyms: opts.includeSynonyms ?? false,
        includeDocumentation: false,
      }),
    );
    for (const r of res.results) {
      if (r.errorCode !== ErrorCode.NONE) {
        failures.push(responseError(r.errorCode, `describe configs of ${resourceTypeName(r.resourceType)} '${r.resourceName}'`, r.errorMessage));
        continue;
      }
      out.push({
        type: resourceTypeName(r.resourceType),
        name: r.resourceName,
        configs: r.configs.map((c) => ({
          name: c.name,
          value: c.value,
          readOnly: c.readOnly,
          isDefault: c.isDefault || c.configSource === 5,
          isSensitive: c.isSensitive,
          source: configSourceName(c.configSource),
          synonyms: c.synonyms.map((s) => ({ name: s.name, value: s.value, source: configSourceName(s.source) })),
        })),
      });
    }
  }
  if (failures.length > 0) throw failures[0]!;
  return out;
}

export async function incrementalAlterConfigs(
  cluster: Cluster,
  resources: readonly AlterConfigsResource[],
  opts: { validateOnly?: boolean } = {},
): Promise<void> {
  await cluster.connect();
  const groups = groupBy(resources, (r) => ((r.type === 'broker' || r.type === 'broker-logger') && /^\d+$/.test(r.name) ? Number(r.name) : -1));
  for (const [, list] of groups) {
    const res = await cluster.withRetries('IncrementalAlterConfigs', {}, () =>
      targetOf(cluster, list[0]!.type, list[0]!.name).request<IncrementalAlterConfigsResponse>(IncrementalAlterConfigsApi, {
        resources: list.map((r) => ({
          resourceType: resourceTypeCode(r.type),
          resourceName: r.name,
          configs: r.ops.map((o) => ({ name: o.name, configOperation: OPS[o.op], value: o.op === 'delete' ? null : o.value })),
        })),
        validateOnly: opts.validateOnly ?? false,
      }),
    );
    for (const r of res.responses) {
      if (r.errorCode !== ErrorCode.NONE) throw responseError(r.errorCode, `alter configs of ${resourceTypeName(r.resourceType)} '${r.resourceName}'`, r.errorMessage);
    }
  }
}
