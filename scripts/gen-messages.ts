/**
 * Writes `src/protocol/messages/*.ts`: one file per API, declaring its request and response in our
 * schema language (`src/protocol/schema/dsl.ts`) plus TypeScript interfaces for their data.
 * Kafka's JSON message specs are the source of facts; they are read here, at development time only.
 *
 *   npx tsc -p . && node dist/scripts/gen-messages.js ../shared/kafka-protocol/messages
 */
import { mkdirSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

interface JsonField {
  name: string;
  type: string;
  versions: string;
  nullableVersions?: string;
  taggedVersions?: string;
  tag?: number;
  default?: string | number | boolean;
  fields?: JsonField[];
}

interface JsonMessage {
  apiKey?: number;
  type: string;
  name: string;
  validVersions: string;
  flexibleVersions: string;
  fields: JsonField[];
  commonStructs?: Array<{ name: string; versions: string; fields: JsonField[] }>;
}

/** The APIs we declare (keys we serve or will serve), plus embedded data messages. */
const API_FILES = [
  'Produce', 'Fetch', 'ListOffsets', 'Metadata', 'OffsetCommit', 'OffsetFetch', 'FindCoordinator',
  'JoinGroup', 'Heartbeat', 'LeaveGroup', 'SyncGroup', 'DescribeGroups', 'ListGroups', 'SaslHandshake',
  'ApiVersions', 'CreateTopics', 'DeleteTopics', 'DeleteRecords', 'InitProducerId', 'OffsetForLeaderEpoch',
  'AddPartitionsToTxn', 'AddOffsetsToTxn', 'EndTxn', 'TxnOffsetCommit', 'DescribeConfigs', 'AlterConfigs',
  'SaslAuthenticate', 'CreatePartitions', 'DeleteGroups', 'IncrementalAlterConfigs', 'OffsetDelete',
  'DescribeCluster', 'DescribeProducers',
  // Transactions (KIP-98, KIP-664): the coordinator's markers to partition leaders, the admin views.
  'WriteTxnMarkers', 'DescribeTransactions', 'ListTransactions',
  // Leadership and replica placement (KIP-460, KIP-455).
  'ElectLeaders', 'AlterPartitionReassignments', 'ListPartitionReassignments',
  // KRaft: the quorum (KIP-595), the controller's broker-facing APIs, forwarding.
  'Vote', 'BeginQuorumEpoch', 'EndQuorumEpoch', 'DescribeQuorum', 'FetchSnapshot', 'AlterPartition',
  'BrokerRegistration', 'BrokerHeartbeat', 'UnregisterBroker', 'AllocateProducerIds', 'Envelope',
  'ControllerRegistration', 'DescribeTopicPartitions',
];
// Request and response headers are special (clientId keeps an int16 length in v2), see src/protocol/headers.ts.
const DATA_FILES = [
  'ConsumerProtocolSubscription', 'ConsumerProtocolAssignment',
  // KRaft control records (the values of control batches in __cluster_metadata-0 and its snapshots).
  'LeaderChangeMessage', 'SnapshotHeaderRecord', 'SnapshotFooterRecord', 'KRaftVersionRecord', 'VotersRecord',
];
/** The __cluster_metadata record types (`type: metadata`, apiKey = record type), written to src/cluster/metadata/records/. */
const METADATA_RECORD_FILES = [
  'RegisterBrokerRecord', 'UnregisterBrokerRecord', 'TopicRecord', 'PartitionRecord', 'ConfigRecord',
  'PartitionChangeRecord', 'FenceBrokerRecord', 'UnfenceBrokerRecord', 'RemoveTopicRecord', 'FeatureLevelRecord',
  'ProducerIdsRecord', 'BrokerRegistrationChangeRecord', 'NoOpRecord', 'RegisterControllerRecord',
];

function readSpec(dir: string, name: string): JsonMessage {
  const text = readFileSync(join(dir, `${name}.json`), 'utf8');
  const withoutComments = text.split('\n').filter((l) => !l.trim().startsWith('//')).join('\n');
  return JSON.parse(withoutComments) as JsonMessage;
}

function camel(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

function kebab(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1-$2').toLowerCase();
}

const PRIMITIVES = new Set(['bool', 'int8', 'int16', 'int32', 'int64', 'uint16', 'uint32', 'float64', 'string', 'bytes', 'records', 'uuid']);

const TS_TYPE: Record<string, string> = {
  bool: 'boolean', int8: 'number', int16: 'number', int32: 'number', int64: 'number', uint16: 'number',
  uint32: 'number', float64: 'number', string: 'string', bytes: 'Buffer', records: 'Records', uuid: 'string',
};

class Emitter {
  readonly interfaces: string[] = [];
  private readonly used = new Set<string>();

  constructor(private readonly common: Map<string, JsonField[]>, private readonly prefix: string) {}

  private structName(raw: string): string {
    let name = raw;
    if (this.used.has(name)) name = `${this.prefix}${raw}`;
    let n = 2;
    while (this.used.has(name)) name = `${this.prefix}${raw}${n++}`;
    this.used.add(name);
    return name;
  }

  reserve(name: string): void {
    this.used.add(name);
  }

  /** Emits DSL for the fields, and registers an interface named `iface`. */
  fields(fields: JsonField[], iface: string, indent: string): string {
    const lines: string[] = [];
    const members: string[] = [];
    for (const f of fields) {
      const isArray = f.type.startsWith('[]');
      const base = isArray ? f.type.slice(2) : f.type;
      const opts: string[] = [];
      if (f.nullableVersions) opts.push(`nullable: '${f.nullableVersions}'`);
      if (f.tag !== undefined) opts.push(`tag: ${f.tag}`, `tagged: '${f.taggedVersions ?? f.versions}'`);
      const def = this.defaultLiteral(f, base, isArray);
      if (def !== undefined) opts.push(`default: ${def}`);
      let tsType: string;
      let typeArg: string;
      if (PRIMITIVES.has(base)) {
        typeArg = `${isArray ? '[]' : ''}${base}`;
        tsType = TS_TYPE[base]!;
      } else {
        const sub = f.fields ?? this.common.get(base);
        if (!sub) throw new Error(`unknown type ${base} for ${f.name}`);
        const subName = this.structName(base);
        const inner = this.fields(sub, subName, `${indent}  `);
        opts.push(`of: [\n${inner}\n${indent}]`);
        typeArg = isArray ? '[]' : '{}';
        tsType = subName;
      }
      if (isArray) tsType = `${tsType}[]`;
      if (f.nullableVersions && f.nullableVersions !== 'none') tsType = `${tsType} | null`;
      const optText = opts.length ? `, { ${opts.join(', ')} }` : '';
      lines.push(`${indent}field('${camel(f.name)}', '${typeArg}', '${f.versions}'${optText}),`);
      members.push(`  ${camel(f.name)}: ${tsType};`);
    }
    this.interfaces.push(`export interface ${iface} {\n${members.join('\n')}\n}`);
    return lines.join('\n');
  }

  private defaultLiteral(f: JsonField, base: string, isArray: boolean): string | undefined {
    if (f.default === undefined || isArray) return undefined;
    const d = f.default;
    if (d === 'null') return 'null';
    if (base === 'bool') return String(d === true || d === 'true');
    if (base === 'string') return JSON.stringify(String(d));
    if (PRIMITIVES.has(base) && base !== 'bytes' && base !== 'records' && base !== 'uuid') {
      const n = typeof d === 'number' ? d : Number(d);
      return Number.isFinite(n) ? String(n) : undefined;
    }
    return undefined;
  }
}

function emitMessage(spec: JsonMessage, emitter: Emitter): string {
  emitter.reserve(spec.name);
  const body = emitter.fields(spec.fields, spec.name, '  ');
  return `export const ${spec.name}Schema = message('${spec.name}', '${spec.validVersions}', '${spec.flexibleVersions}', [\n${body}\n]);`;
}

function commonOf(specs: JsonMessage[]): Map<string, JsonField[]> {
  const common = new Map<string, JsonField[]>();
  for (const s of specs) for (const c of s.commonStructs ?? []) common.set(c.name, c.fields);
  return common;
}

function header(title: string): string {
  return [
    `// ${title}`,
    '// Declared from Apache Kafka\'s message specs (see ../../../scripts/gen-messages.ts); regenerate rather than edit.',
    "import { api, field, message } from '../schema/dsl.js';",
    "import type { Records } from '../schema/records.js';",
    '',
  ].join('\n');
}

function main(): void {
  const specDir = process.argv[2] ?? '../shared/kafka-protocol/messages';
  const here = dirname(fileURLToPath(import.meta.url));
  const outDir = join(here, '..', '..', 'src', 'protocol', 'messages');
  const available = new Set(readdirSync(specDir).map((f) => f.replace(/\.json$/, '')));
  const index: string[] = [];
  const registry: string[] = [];

  for (const name of API_FILES) {
    const req = readSpec(specDir, `${name}Request`);
    const res = readSpec(specDir, `${name}Response`);
    // Request and response share name tracking so struct interface names never collide within a file.
    const reqEmitter = new Emitter(commonOf([req]), 'Request');
    const resEmitter = new Emitter(commonOf([res]), 'Response');
    const shared = new Set<string>();
    const reqCode = emitWithNames(req, reqEmitter, shared);
    const resCode = emitWithNames(res, resEmitter, shared);
    const file = [
      header(`${name} (API key ${req.apiKey})`),
      reqCode.schema,
      '',
      resCode.schema,
      '',
      `export const ${name}Api = api(${req.apiKey}, ${req.name}Schema, ${res.name}Schema);`,
      '',
      ...reqCode.interfaces.reverse(),
      '',
      ...resCode.interfaces.reverse(),
      '',
    ].join('\n');
    const usesRecords = /: Records/.test(file);
    writeFileSync(join(outDir, `${kebab(name)}.ts`), usesRecords ? file : file.replace("import type { Records } from '../schema/records.js';\n", ''));
    index.push(`export { ${name}Api } from './${kebab(name)}.js';`);
    registry.push(`  [${req.apiKey}, ${name}Api],`);
  }
  for (const name of DATA_FILES) {
    if (!available.has(name)) continue;
    const spec = readSpec(specDir, name);
    const code = emitWithNames(spec, new Emitter(commonOf([spec]), ''), new Set());
    let file = [header(name), code.schema, '', ...code.interfaces.reverse(), ''].join('\n');
    file = file.replace("import { api, field, message }", "import { field, message }");
    if (!file.includes(': Records')) file = file.replace("import type { Records } from '../schema/records.js';\n", '');
    writeFileSync(join(outDir, `${kebab(name)}.ts`), file);
  }
  emitMetadataRecords(specDir, join(here, '..', '..', 'src', 'cluster', 'metadata', 'records'));
  const indexFile = [
    '// Every declared API, by key. Regenerated by scripts/gen-messages.ts.',
    "import type { ApiSpec } from '../schema/dsl.js';",
    ...index.map((l) => l.replace('export {', 'import {')),
    '',
    ...index,
    '',
    'export const API_BY_KEY: ReadonlyMap<number, ApiSpec> = new Map<number, ApiSpec>([',
    ...registry,
    ']);',
    '',
  ].join('\n');
  writeFileSync(join(outDir, 'index.ts'), indexFile);
}

/** One file per metadata record type, and an index from record type (the spec's apiKey) to its schema. */
function emitMetadataRecords(specDir: string, outDir: string): void {
  mkdirSync(outDir, { recursive: true });
  const index: string[] = [];
  const registry: string[] = [];
  for (const name of METADATA_RECORD_FILES) {
    const spec = readSpec(specDir, name);
    const code = emitWithNames(spec, new Emitter(commonOf([spec]), ''), new Set());
    let file = [
      `// ${name} (metadata record type ${spec.apiKey})`,
      "// Declared from Apache Kafka's metadata record specs (see ../../../../scripts/gen-messages.ts); regenerate rather than edit.",
      "import { field, message } from '../../../protocol/schema/dsl.js';",
      '',
      `export const ${constName(name)}_TYPE = ${spec.apiKey};`,
      '',
      code.schema,
      '',
      ...code.interfaces.reverse(),
      '',
    ].join('\n');
    if (!code.schema.includes('field(')) file = file.replace('import { field, message }', 'import { message }');
    writeFileSync(join(outDir, `${kebab(name)}.ts`), file);
    index.push(`export { ${name}Schema, ${constName(name)}_TYPE, type ${name} } from './${kebab(name)}.js';`);
    registry.push(`  [${spec.apiKey}, { name: '${name}', schema: ${name}Schema }],`);
  }
  const indexFile = [
    '// Every declared metadata record type, by type. Regenerated by scripts/gen-messages.ts.',
    "import type { MessageSpec } from '../../../protocol/schema/dsl.js';",
    ...index.map((l) => l.replace('export {', 'import {').replace(/, \w+_TYPE, type \w+ \}/, ' }')),
    '',
    ...index,
    '',
    'export const METADATA_RECORD_SCHEMAS: ReadonlyMap<number, { readonly name: string; readonly schema: MessageSpec }> = new Map([',
    ...registry,
    ']);',
    '',
  ].join('\n');
  writeFileSync(join(outDir, 'index.ts'), indexFile);
}

/** `PartitionChangeRecord` → `PARTITION_CHANGE_RECORD`. */
function constName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

function emitWithNames(spec: JsonMessage, emitter: Emitter, shared: Set<string>): { schema: string; interfaces: string[] } {
  for (const n of shared) emitter.reserve(n);
  const schema = emitMessage(spec, emitter);
  for (const i of emitter.interfaces) {
    const m = /^export interface (\w+)/.exec(i);
    if (m) shared.add(m[1]!);
  }
  return { schema, interfaces: emitter.interfaces };
}

main();
