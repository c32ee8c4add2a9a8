/**
 * The KRaft part of the broker config: process.roles, listeners, the controller listener and the
 * controller quorum, validated as Kafka's KafkaConfig does (each failure names the property), plus
 * Tributary's implicit single-node quorum for a node started with none of these set.
 */
import { hostname } from 'node:os';
import { ConfigError } from './errors.js';

export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';
export type ProcessRole = 'broker' | 'controller';
export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

/** One endpoint from `listeners` / `advertised.listeners`. */
export interface ListenerConfig {
  /** Listener name, upper-cased as Kafka normalises it (e.g. `PLAINTEXT`, `CONTROLLER`). */
  name: string;
  securityProtocol: SecurityProtocol;
  /**
   * Host to bind (listeners) or to hand to clients (advertised). In `listeners`, '' means every
   * interface: call `server.listen(port)` without a host. IPv6 addresses come without brackets.
   */
  host: string;
  /** 0 = pick a free port; the broker must then advertise the port it actually bound. */
  port: number;
}

/** One entry of `controller.quorum.voters` (`id@host:port`). */
export interface QuorumVoter {
  id: number;
  host: string;
  port: number;
}

/** NAME://host:port, host empty, a name, IPv4, or [IPv6]. */
export const LISTENER_PATTERN = /^([A-Za-z0-9_-]+):\/\/(\[[0-9a-fA-F:.%]*\]|[^:/\s[\]]*):(\d+)$/;

/** The name of the controller listener Tributary makes up for the implicit single-node quorum. */
export const IMPLICIT_CONTROLLER_LISTENER_NAME = 'CONTROLLER';

/** Setting any of these (or process.roles) means "I am configuring a KRaft cluster": no implicit quorum. */
const QUORUM_PROPERTIES = ['process.roles', 'controller.quorum.voters', 'controller.quorum.bootstrap.servers', 'controller.listener.names'];

/** The parsed values this part of the config reads (already type-checked by the definition table). */
export interface QuorumInput {
  explicit: ReadonlyMap<string, string>;
  nodeId: number;
  /** Whether node.id or broker.id was given. */
  nodeIdGiven: boolean;
  list(name: string): readonly string[];
  str(name: string): string;
  optStr(name: string): string | null;
}

export interface QuorumFields {
  processRoles: readonly ProcessRole[];
  implicitSingleNodeQuorum: boolean;
  listeners: readonly ListenerConfig[];
  advertisedListeners: readonly ListenerConfig[];
  listenerSecurityProtocolMap: ReadonlyMap<string, SecurityProtocol>;
  interBrokerListenerName: string;
  controllerListenerNames: readonly string[];
  controllerListener: ListenerConfig | null;
  brokerListener: ListenerConfig | null;
  controllerQuorumVoters: readonly QuorumVoter[];
  controllerQuorumBootstrapServers: readonly { host: string; port: number }[];
}

function invalid(property: string, message: string): never {
  throw new ConfigError(message, property);
}

function isWildcard(host: string): boolean {
  return host === '' || host === '0.0.0.0' || host === '::';
}

export function resolveQuorumConfig(input: QuorumInput): QuorumFields {
  const { explicit, nodeId, list } = input;
  const rolesGiven = explicit.has('process.roles');
  const implicitSingleNodeQuorum = !QUORUM_PROPERTIES.some((name) => explicit.has(name));
  const processRoles = [...new Set(list('process.roles'))] as ProcessRole[];
  if (processRoles.length !== list('process.roles').length) {
    invalid('process.roles', `Duplicate role names found in process.roles: ${list('process.roles').join(',')}; list each of broker, controller at most once.`);
  }
  const brokerRole = processRoles.includes('broker');
  const controllerRole = processRoles.includes('controller');

  // The quorum: voters (static) or bootstrap servers (dynamic, KIP-853), checked first because
  // without them nothing else about the controller matters.
  const explicitVoters = list('controller.quorum.voters').map((entry) => parseVoter(entry));
  const voterIds = new Set<number>();
  for (const v of explicitVoters) {
    if (voterIds.has(v.id)) invalid('controller.quorum.voters', `controller.quorum.voters lists node ${v.id} twice.`);
    voterIds.add(v.id);
  }
  const controllerQuorumBootstrapServers = list('controller.quorum.bootstrap.servers').map((entry) =>
    parseHostPort('controller.quorum.bootstrap.servers', entry),
  );
  if (!implicitSingleNodeQuorum && explicitVoters.length === 0 && controllerQuorumBootstrapServers.length === 0) {
    invalid(
      'controller.quorum.voters',
      `process.roles=${processRoles.join(',')} needs controller.quorum.voters (id@host:port of every controller) or controller.quorum.bootstrap.servers to find the controllers.`,
    );
  }
  if (controllerRole && explicitVoters.length > 0 && !voterIds.has(nodeId)) {
    invalid('controller.quorum.voters', `process.roles includes controller, so node.id ${nodeId} must be one of controller.quorum.voters (${[...voterIds].join(', ')}).`);
  }
  if (rolesGiven && !input.nodeIdGiven) {
    invalid('node.id', 'process.roles is set, so node.id must be set too: every node of a KRaft cluster needs its own id (e.g. node.id=1).');
  }

  const controllerListenerNames = implicitSingleNodeQuorum
    ? [IMPLICIT_CONTROLLER_LISTENER_NAME]
    : list('controller.listener.names').map((n) => n.toUpperCase());
  if (controllerListenerNames.length === 0) {
    invalid(
      'controller.listener.names',
      controllerRole
        ? 'controller.listener.names must name the controller listener (e.g. CONTROLLER) when process.roles includes controller, and listeners must contain it (e.g. CONTROLLER://127.0.0.1:9093).'
        : 'controller.listener.names must name the controllers\' listener (e.g. CONTROLLER) when process.roles is set: the broker uses its security protocol to reach them.',
    );
  }

  // Security protocols. Under Kafka's default map, controller listener names map to PLAINTEXT.
  const protocolMap = new Map<string, SecurityProtocol>();
  for (const entry of list('listener.security.protocol.map')) {
    const colon = entry.indexOf(':');
    const listenerName = entry.slice(0, colon).trim().toUpperCase();
    if (protocolMap.has(listenerName)) {
      invalid('listener.security.protocol.map', `listener.security.protocol.map names listener '${listenerName}' twice.`);
    }
    protocolMap.set(listenerName, entry.slice(colon + 1).trim().toUpperCase() as SecurityProtocol);
  }
  if (!explicit.has('listener.security.protocol.map') || implicitSingleNodeQuorum) {
    for (const n of controllerListenerNames) if (!protocolMap.has(n)) protocolMap.set(n, 'PLAINTEXT');
  }
  for (const n of controllerListenerNames) {
    const protocol = protocolMap.get(n);
    if (protocol === undefined) {
      invalid(
        'listener.security.protocol.map',
        `The controller listener '${n}' (controller.listener.names) is not in listener.security.protocol.map; add ${n}:PLAINTEXT to it.`,
      );
    }
    if (protocol !== 'PLAINTEXT') {
      invalid(
        'listener.security.protocol.map',
        `The controller listener '${n}' uses security protocol ${protocol}, which Tributary does not support yet; map it to PLAINTEXT in listener.security.protocol.map.`,
      );
    }
  }

  const listeners = parseListeners('listeners', list('listeners'), protocolMap);
  const listenerNames = new Set(listeners.map((l) => l.name));
  checkListenersUnique(listeners);
  for (const l of listeners) {
    if (l.securityProtocol !== 'PLAINTEXT') {
      invalid('listeners', `Listener '${l.name}' uses security protocol ${l.securityProtocol}, which Tributary does not support yet; use a PLAINTEXT listener.`);
    }
  }

  if (implicitSingleNodeQuorum) {
    if (listenerNames.has(IMPLICIT_CONTROLLER_LISTENER_NAME)) {
      invalid(
        'listeners',
        `listeners has a listener named ${IMPLICIT_CONTROLLER_LISTENER_NAME} but controller.listener.names is unset: set process.roles, controller.listener.names=${IMPLICIT_CONTROLLER_LISTENER_NAME} and controller.quorum.voters, or rename the listener.`,
      );
    }
  } else if (controllerRole) {
    // Kafka: at least one of controller.listener.names must appear in listeners on a controller.
    if (!controllerListenerNames.some((n) => listenerNames.has(n))) {
      invalid(
        'controller.listener.names',
        `controller.listener.names contains '${controllerListenerNames.join(', ')}', but listeners has no listener of that name (listeners: ${[...listenerNames].join(', ')}); add e.g. ${controllerListenerNames[0]}://127.0.0.1:9093 to listeners.`,
      );
    }
    if (!brokerRole) {
      const extra = listeners.filter((l) => !controllerListenerNames.includes(l.name));
      if (extra.length > 0) {
        invalid(
          'listeners',
          `process.roles=controller, so listeners must only contain controller listeners (${controllerListenerNames.join(', ')}); remove ${extra.map((l) => l.name).join(', ')}.`,
        );
      }
    }
  } else {
    for (const n of controllerListenerNames) {
      if (listenerNames.has(n)) {
        invalid('listeners', `listeners contains the controller listener '${n}', but process.roles does not include controller; remove it from listeners.`);
      }
    }
  }

  const clientListeners = listeners.filter((l) => !controllerListenerNames.includes(l.name));
  if (brokerRole && clientListeners.length === 0) {
    invalid('listeners', `listeners must contain at least one listener that is not a controller listener (${controllerListenerNames.join(', ')}), for clients to connect to.`);
  }

  const advertisedListeners = resolveAdvertised(input, clientListeners, listenerNames, protocolMap, brokerRole, controllerListenerNames);
  const interBrokerListenerName = resolveInterBroker(input, advertisedListeners, brokerRole);

  let controllerListener: ListenerConfig | null = null;
  let controllerQuorumVoters: readonly QuorumVoter[] = explicitVoters;
  if (implicitSingleNodeQuorum) {
    // The self voter must be reachable by this node itself: a wildcard bind host is not an address.
    const client = clientListeners.find((l) => l.name === 'PLAINTEXT') ?? clientListeners[0];
    const host = client === undefined || isWildcard(client.host) ? '127.0.0.1' : client.host;
    controllerListener = { name: IMPLICIT_CONTROLLER_LISTENER_NAME, securityProtocol: 'PLAINTEXT', host, port: 0 };
    controllerQuorumVoters = [{ id: nodeId, host, port: 0 }];
  } else if (controllerRole) {
    const name = controllerListenerNames.find((n) => listenerNames.has(n))!;
    controllerListener = listeners.find((l) => l.name === name)!;
  }
  const brokerListener = brokerRole ? (listeners.find((l) => l.name === interBrokerListenerName) ?? clientListeners[0]!) : null;

  return {
    processRoles,
    implicitSingleNodeQuorum,
    listeners,
    advertisedListeners,
    listenerSecurityProtocolMap: protocolMap,
    interBrokerListenerName,
    controllerListenerNames,
    controllerListener,
    brokerListener,
    controllerQuorumVoters,
    controllerQuorumBootstrapServers,
  };
}

/** `advertised.listeners`, or listeners without the controller ones; "all interfaces" advertises this host's name. */
function resolveAdvertised(
  input: QuorumInput,
  clientListeners: readonly ListenerConfig[],
  listenerNames: ReadonlySet<string>,
  protocolMap: ReadonlyMap<string, SecurityProtocol>,
  brokerRole: boolean,
  controllerListenerNames: readonly string[],
): ListenerConfig[] {
  if (!input.explicit.has('advertised.listeners')) {
    return clientListeners.map((l) => {
      if (l.host === '0.0.0.0' || l.host === '::') {
        return invalid(
          'advertised.listeners',
          `Listener '${l.name}' binds ${l.host}, which clients cannot connect to; set advertised.listeners (e.g. ${l.name}://<host>:${l.port}) to the address clients should use.`,
        );
      }
      return { ...l, host: l.host === '' ? hostname() : l.host };
    });
  }
  const advertised = parseListeners('advertised.listeners', input.list('advertised.listeners'), protocolMap);
  for (const l of advertised) {
    if (l.host === '0.0.0.0' || l.host === '::') {
      invalid('advertised.listeners', `advertised.listeners cannot use the non-routable address ${l.host} (listener '${l.name}'); give a host name or IP that clients can reach.`);
    }
    if (brokerRole && controllerListenerNames.includes(l.name)) {
      invalid('advertised.listeners', `advertised.listeners must not contain the controller listener '${l.name}'.`);
    }
    if (!listenerNames.has(l.name)) {
      invalid('advertised.listeners', `advertised.listeners names '${l.name}', which is not in listeners (${[...listenerNames].join(', ')}).`);
    }
  }
  return advertised;
}

function resolveInterBroker(input: QuorumInput, advertisedListeners: readonly ListenerConfig[], brokerRole: boolean): string {
  if (input.explicit.has('inter.broker.listener.name') && input.explicit.has('security.inter.broker.protocol')) {
    invalid('inter.broker.listener.name', 'Set only one of inter.broker.listener.name and security.inter.broker.protocol.');
  }
  const explicitInterBroker = input.optStr('inter.broker.listener.name');
  if (explicitInterBroker !== null) {
    const name = explicitInterBroker.toUpperCase();
    if (brokerRole && !advertisedListeners.some((l) => l.name === name)) {
      invalid('inter.broker.listener.name', `inter.broker.listener.name '${name}' must be one of the advertised listeners (${advertisedListeners.map((l) => l.name).join(', ')}).`);
    }
    return name;
  }
  // Kafka requires a listener named after security.inter.broker.protocol; we fall back to the first client listener.
  const byProtocol = input.str('security.inter.broker.protocol');
  return advertisedListeners.some((l) => l.name === byProtocol) ? byProtocol : (advertisedListeners[0]?.name ?? byProtocol);
}

function parseListeners(property: string, entries: readonly string[], protocolMap: ReadonlyMap<string, SecurityProtocol>): ListenerConfig[] {
  return entries.map((entry) => {
    const m = LISTENER_PATTERN.exec(entry)!; // the validator already checked the shape
    const name = m[1]!.toUpperCase();
    const host = m[2]!.startsWith('[') ? m[2]!.slice(1, -1) : m[2]!;
    const port = Number(m[3]);
    if (port > 65535) {
      throw new ConfigError(`Invalid value '${entry}' for broker config '${property}': port ${port} is above 65535.`, property);
    }
    const securityProtocol = protocolMap.get(name);
    if (!securityProtocol) {
      throw new ConfigError(
        `${property} names listener '${name}', which listener.security.protocol.map does not map to a security protocol; add ${name}:PLAINTEXT to listener.security.protocol.map.`,
        property,
      );
    }
    return { name, securityProtocol, host, port };
  });
}

function checkListenersUnique(listeners: readonly ListenerConfig[]): void {
  const names = new Set<string>();
  const ports = new Set<number>();
  for (const l of listeners) {
    if (names.has(l.name)) throw new ConfigError(`listeners names '${l.name}' twice; every listener needs its own name.`, 'listeners');
    names.add(l.name);
    if (l.port !== 0 && ports.has(l.port)) throw new ConfigError(`listeners uses port ${l.port} twice; every listener needs its own port.`, 'listeners');
    ports.add(l.port);
  }
}

function parseHostPort(property: string, entry: string): { host: string; port: number } {
  const colon = entry.lastIndexOf(':');
  let host = entry.slice(0, colon);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  const port = Number(entry.slice(colon + 1));
  if (host === '' || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new ConfigError(`Invalid value '${entry}' for broker config '${property}': expected host:port with a port from 1 to 65535.`, property);
  }
  return { host, port };
}

/** `id@host:port` (the table's validator has checked the rough shape). */
export function parseVoter(entry: string): QuorumVoter {
  const at = entry.indexOf('@');
  const id = Number(entry.slice(0, at));
  if (at < 0 || !/^\d+$/.test(entry.slice(0, at)) || !Number.isSafeInteger(id)) {
    throw new ConfigError(`Invalid value '${entry}' for broker config 'controller.quorum.voters': expected id@host:port with a non-negative id.`, 'controller.quorum.voters');
  }
  return { id, ...parseHostPort('controller.quorum.voters', entry.slice(at + 1)) };
}
