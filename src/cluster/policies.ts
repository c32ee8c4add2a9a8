/**
 * Kafka's broker policy hooks, as far as a Node.js broker sensibly can have them:
 * `create.topic.policy.class.name` (CreateTopicPolicy) and `alter.config.policy.class.name`
 * (AlterConfigPolicy). Kafka names a Java class; Tributary names a JavaScript module (a file path or
 * a package name, resolved from the working directory) whose default export is the policy object,
 * or a class that is instantiated with no arguments. `configure(brokerProperties)` is called once
 * when present (Kafka's Configurable), `close()` when the broker stops.
 *
 * `validate(requestMetadata)` runs synchronously inside the request (as Kafka calls it on the
 * request thread), so a topic config change is still planned and installed in one synchronous step
 * (topic-config-manager.ts). A throw refuses the request with POLICY_VIOLATION and the thrown
 * message; a returned promise is refused as a policy bug (an async policy would see a stale state).
 */
import { createRequire } from 'node:module';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ErrorCode, KafkaError } from '../protocol/errors.js';
import { ConfigError } from './config/errors.js';

/** What Kafka's CreateTopicPolicy.RequestMetadata carries, after the broker's defaults are applied. */
export interface CreateTopicRequestMetadata {
  readonly topic: string;
  readonly numPartitions: number;
  readonly replicationFactor: number;
  /** Explicit replica assignments by partition, or null when the request gave counts. */
  readonly replicasAssignments: ReadonlyMap<number, readonly number[]> | null;
  /** The topic's config overrides as requested (not merged with the broker defaults). */
  readonly configs: Readonly<Record<string, string>>;
}

/** What Kafka's AlterConfigPolicy.RequestMetadata carries. Tributary alters TOPIC resources only. */
export interface AlterConfigRequestMetadata {
  readonly resource: { readonly type: 'TOPIC'; readonly name: string };
  /** The topic's overrides as they would be after the change (AlterConfigs: exactly the listed ones). */
  readonly configs: Readonly<Record<string, string>>;
}

interface Policy<M> {
  /** Throws to refuse; the message goes back to the client with POLICY_VIOLATION. Must not be async. */
  validate(requestMetadata: M): void;
  configure?(brokerProperties: Readonly<Record<string, string>>): void;
  close?(): void | Promise<void>;
}

export type CreateTopicPolicy = Policy<CreateTopicRequestMetadata>;
export type AlterConfigPolicy = Policy<AlterConfigRequestMetadata>;

/** Runs a policy; a throw (or an async validate) becomes POLICY_VIOLATION. */
export function enforcePolicy<M>(policy: Policy<M> | undefined, requestMetadata: M): void {
  if (!policy) return;
  let result: unknown;
  try {
    result = policy.validate(requestMetadata);
  } catch (err) {
    if (err instanceof KafkaError && err.code === ErrorCode.POLICY_VIOLATION) throw err;
    throw new KafkaError(ErrorCode.POLICY_VIOLATION, err instanceof Error ? err.message : String(err));
  }
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    // Swallow its eventual rejection: we refuse the request either way.
    (result as Promise<unknown>).then(undefined, () => undefined);
    throw new KafkaError(ErrorCode.POLICY_VIOLATION, 'The policy validate() returned a promise; policies must be synchronous.');
  }
}

function isPolicy(value: unknown): value is Policy<unknown> {
  return value !== null && typeof value === 'object' && typeof (value as { validate?: unknown }).validate === 'function';
}

/** A policy object, or a class whose instances are policies. Anything else is null. */
function asPolicy(exported: unknown): Policy<unknown> | null {
  if (isPolicy(exported)) return exported;
  if (typeof exported === 'function' && typeof (exported as { prototype?: { validate?: unknown } }).prototype?.validate === 'function') {
    const instance: unknown = new (exported as new () => unknown)();
    return isPolicy(instance) ? instance : null;
  }
  return null;
}

/**
 * Loads the policy a property names. `specifier` is a file path (absolute, or relative to `cwd`) or
 * a package name resolved from `cwd`. Every failure is a {@link ConfigError} naming the property,
 * so `tributary server` exits 2 with a readable message.
 */
export async function loadPolicy<M>(property: string, specifier: string, brokerProperties: Readonly<Record<string, string>>, cwd = process.cwd()): Promise<Policy<M>> {
  const looksLikePath = specifier.startsWith('.') || isAbsolute(specifier) || /\.[cm]?js$/.test(specifier);
  let url: string;
  try {
    url = looksLikePath ? pathToFileURL(resolve(cwd, specifier)).href : pathToFileURL(createRequire(join(cwd, 'noop.js')).resolve(specifier)).href;
  } catch (err) {
    throw new ConfigError(`${property}=${specifier}: cannot resolve the module from ${cwd} (${err instanceof Error ? err.message : String(err)}).`, property);
  }
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (err) {
    throw new ConfigError(`${property}=${specifier}: cannot load the module (${err instanceof Error ? err.message : String(err)}).`, property);
  }
  const policy = asPolicy(mod['default']) ?? asPolicy(mod['policy']);
  if (!policy) {
    throw new ConfigError(
      `${property}=${specifier}: the module's default export must be a policy object with a validate(requestMetadata) method, or a class whose instances have one.`,
      property,
    );
  }
  try {
    policy.configure?.(brokerProperties);
  } catch (err) {
    throw new ConfigError(`${property}=${specifier}: configure() failed (${err instanceof Error ? err.message : String(err)}).`, property);
  }
  return policy as Policy<M>;
}
