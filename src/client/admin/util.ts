/** Small helpers shared by the admin modules. */
import { ErrorCode, KafkaError } from '../../protocol/errors.js';
import type { ConfigResourceType, ConfigSource } from './types.js';

const RESOURCE_TYPES: Record<ConfigResourceType, number> = { topic: 2, broker: 4, 'broker-logger': 8 };

export function resourceTypeCode(t: ConfigResourceType): number {
  const code = RESOURCE_TYPES[t];
  if (code === undefined) throw new KafkaError(ErrorCode.INVALID_REQUEST, `unknown config resource type '${String(t)}'`);
  return code;
}

export function resourceTypeName(code: number): ConfigResourceType {
  for (const [k, v] of Object.entries(RESOURCE_TYPES)) if (v === code) return k as ConfigResourceType;
  return 'topic';
}

const SOURCES: ConfigSource[] = [
  'unknown',
  'topic',
  'dynamic-broker',
  'dynamic-default-broker',
  'static-broker',
  'default',
  'dynamic-broker-logger',
  'client-metrics',
  'group',
];

export function configSourceName(code: number): ConfigSource {
  return SOURCES[code] ?? 'unknown';
}

/** Groups items by a key, keeping first-seen order. */
export function groupBy<T, K>(items: Iterable<T>, key: (t: T) => K): Map<K, T[]> {
  const out = new Map<K, T[]>();
  for (const item of items) {
    const k = key(item);
    let list = out.get(k);
    if (!list) out.set(k, (list = []));
    list.push(item);
  }
  return out;
}
