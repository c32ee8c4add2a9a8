/**
 * Topic configs: AlterConfigs (replace all overrides) and IncrementalAlterConfigs (SET, DELETE,
 * APPEND, SUBTRACT) as ConfigRecords. The whole resulting override set is validated before anything
 * is written; only changed keys produce records (null value = override deleted).
 * A topic whose unclean.leader.election.enable becomes true gets unclean elections for its leaderless
 * partitions in the same batch. Only TOPIC resources are handled; others get INVALID_REQUEST (broker dynamic configs: not yet).
 */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { AlterConfigsRequest, AlterConfigsResourceResponse, AlterConfigsResponse } from '../../protocol/messages/alter-configs.js';
import type { IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponse } from '../../protocol/messages/incremental-alter-configs.js';
import { isListTopicConfig, topicConfigDefinition, validateTopicConfigs } from '../config/topic-config.js';
import { ConfigResourceType } from '../metadata/metadata-image.js';
import { CONFIG_RECORD_TYPE } from '../metadata/records/index.js';
import { result, rec, type ControlContext, type ControllerResult, type MetadataRecordValue } from './controller-result.js';
import { uncleanElectionsFor } from './election-control.js';
import { errorOf } from './topic-control.js';

export const AlterConfigOp = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

function fail(code: ErrorCode, message: string): never {
  throw new KafkaError(code, message);
}

function changeRecords(resourceName: string, before: Readonly<Record<string, string>>, after: Readonly<Record<string, string>>): MetadataRecordValue[] {
  const out: MetadataRecordValue[] = [];
  for (const [name, value] of Object.entries(after)) {
    if (before[name] !== value) out.push(rec(CONFIG_RECORD_TYPE, { resourceType: ConfigResourceType.TOPIC, resourceName, name, value }));
  }
  for (const name of Object.keys(before)) {
    if (!(name in after)) out.push(rec(CONFIG_RECORD_TYPE, { resourceType: ConfigResourceType.TOPIC, resourceName, name, value: null }));
  }
  return out;
}

function uncleanOn(overrides: Readonly<Record<string, string>>, brokerDefault: boolean): boolean {
  const v = overrides['unclean.leader.election.enable'];
  return v === undefined ? brokerDefault : v.trim().toLowerCase() === 'true';
}

interface Resource {
  readonly resourceType: number;
  readonly resourceName: string;
}

/** Runs `compute` per resource (new overrides from the current ones), collecting records and results. */
function alterEach<R extends Resource>(
  ctx: ControlContext,
  resources: readonly R[],
  validateOnly: boolean,
  compute: (resource: R, current: Readonly<Record<string, string>>) => Record<string, string>,
): { records: MetadataRecordValue[]; responses: AlterConfigsResourceResponse[] } {
  const records: MetadataRecordValue[] = [];
  const responses: AlterConfigsResourceResponse[] = [];
  const seen = new Set<string>();
  for (const r of resources) {
    try {
      if (r.resourceType !== ConfigResourceType.TOPIC) fail(ErrorCode.INVALID_REQUEST, `Config resource type ${r.resourceType} is not supported (only topics).`);
      if (seen.has(r.resourceName)) fail(ErrorCode.INVALID_REQUEST, `Duplicate resource ${r.resourceName}.`);
      seen.add(r.resourceName);
      if (!ctx.image.topic(r.resourceName)) fail(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, `Topic ${r.resourceName} does not exist.`);
      const current = ctx.image.topicConfig(r.resourceName);
      const next = compute(r, current);
      validateTopicConfigs(next);
      if (!validateOnly) {
        records.push(...changeRecords(r.resourceName, current, next));
        // Leaderless partitions may get an out-of-sync leader once unclean election is allowed.
        if (!uncleanOn(current, ctx.uncleanElectionDefault) && uncleanOn(next, ctx.uncleanElectionDefault)) records.push(...uncleanElectionsFor(ctx.image, r.resourceName));
      }
      responses.push({ errorCode: ErrorCode.NONE, errorMessage: null, resourceType: r.resourceType, resourceName: r.resourceName });
    } catch (err) {
      const { code, message } = errorOf(err);
      responses.push({ errorCode: code, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName });
    }
  }
  return { records, responses };
}

export function alterConfigs(ctx: ControlContext, req: AlterConfigsRequest): ControllerResult<AlterConfigsResponse> {
  const { records, responses } = alterEach(ctx, req.resources, req.validateOnly, (r) => {
    const next: Record<string, string> = {};
    for (const c of r.configs) {
      if (c.name in next) fail(ErrorCode.INVALID_REQUEST, `Duplicate config name ${c.name}.`);
      // Legacy AlterConfigs replaces every override; a null value just leaves that key out.
      if (c.value !== null) next[c.name] = c.value;
    }
    return next;
  });
  return result({ throttleTimeMs: 0, responses }, records);
}

function listOf(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

export function incrementalAlterConfigs(ctx: ControlContext, req: IncrementalAlterConfigsRequest): ControllerResult<IncrementalAlterConfigsResponse> {
  const { records, responses } = alterEach(ctx, req.resources, req.validateOnly, (r, current) => {
    const next: Record<string, string> = { ...current };
    const names = new Set<string>();
    for (const c of r.configs) {
      if (names.has(c.name)) fail(ErrorCode.INVALID_REQUEST, `Duplicate config name ${c.name}.`);
      names.add(c.name);
      switch (c.configOperation) {
        case AlterConfigOp.SET:
          if (c.value === null) fail(ErrorCode.INVALID_REQUEST, `Null value not supported for SET of ${c.name}.`);
          next[c.name] = c.value;
          break;
        case AlterConfigOp.DELETE:
          delete next[c.name];
          break;
        case AlterConfigOp.APPEND:
        case AlterConfigOp.SUBTRACT: {
          if (!isListTopicConfig(c.name)) {
            fail(ErrorCode.INVALID_CONFIG, `Config ${c.name} is not a list config; APPEND and SUBTRACT need one.`);
          }
          // Without an override the list starts from the config's default, as in Kafka.
          const base = listOf(next[c.name] ?? topicConfigDefinition(c.name)?.default ?? undefined);
          const items = listOf(c.value ?? undefined);
          const merged =
            c.configOperation === AlterConfigOp.APPEND ? [...base, ...items.filter((i) => !base.includes(i))] : base.filter((i) => !items.includes(i));
          next[c.name] = merged.join(',');
          break;
        }
        default:
          fail(ErrorCode.INVALID_REQUEST, `Unknown config operation ${c.configOperation} for ${c.name}.`);
      }
    }
    return next;
  });
  return result({ throttleTimeMs: 0, responses }, records);
}
