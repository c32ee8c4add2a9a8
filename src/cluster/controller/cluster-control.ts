/**
 * Brokers: registration, heartbeats (unfencing, controlled shutdown), session expiry (fencing) and
 * unregistration, as records computed from the controller's image. Sessions live only in the active
 * controller's memory (as in Kafka): a new active controller gives every registered broker a fresh
 * session.
 */
import { ErrorCode } from '../../protocol/errors.js';
import type { BrokerHeartbeatRequest, BrokerHeartbeatResponse } from '../../protocol/messages/broker-heartbeat.js';
import type { BrokerRegistrationRequest, BrokerRegistrationResponse } from '../../protocol/messages/broker-registration.js';
import type { UnregisterBrokerRequest, UnregisterBrokerResponse } from '../../protocol/messages/unregister-broker.js';
import type { Runtime, TimerHandle } from '../runtime.js';
import type { BrokerRegistration } from '../metadata/metadata-image.js';
import {
  BROKER_REGISTRATION_CHANGE_RECORD_TYPE,
  FENCE_BROKER_RECORD_TYPE,
  REGISTER_BROKER_RECORD_TYPE,
  UNFENCE_BROKER_RECORD_TYPE,
  UNREGISTER_BROKER_RECORD_TYPE,
  type BrokerRegistrationChangeRecord,
  type RegisterBrokerRecord,
} from '../metadata/records/index.js';
import { result, rec, type ControlContext, type ControllerResult, type MetadataRecordValue } from './controller-result.js';
import { acceptableLeaders, leaderAndIsrUpdates } from './partition-change.js';

interface Session {
  readonly brokerEpoch: number;
  lastContactMs: number;
  /** False for sessions carried over at activation until the broker heartbeats this controller. */
  readonly heard: boolean;
  timer: TimerHandle;
}

/** Per-broker session timers: `onExpired` runs when a broker has not been heard from for `sessionTimeoutMs`. */
export class BrokerSessions {
  private readonly sessions = new Map<number, Session>();

  constructor(
    private readonly runtime: Runtime,
    private readonly sessionTimeoutMs: number,
    private readonly onExpired: (brokerId: number, brokerEpoch: number) => void,
  ) {}

  /**
   * Starts or renews a broker's session. `heard` is false for the sessions a newly active controller
   * starts for the brokers it finds registered: they are fenced if silent for the timeout, but do not
   * count as alive (so a broker that restarted with the controller — a combined node after a crash —
   * may register again at once rather than after a session timeout; Kafka counts them alive).
   */
  touch(brokerId: number, brokerEpoch: number, heard = true): void {
    const old = this.sessions.get(brokerId);
    if (old) this.runtime.timers.clearTimeout(old.timer);
    const nowMs = this.runtime.clock.now();
    const timer = this.runtime.timers.setTimeout(() => {
      const s = this.sessions.get(brokerId);
      if (s?.timer !== timer) return;
      this.sessions.delete(brokerId);
      this.onExpired(brokerId, brokerEpoch);
    }, this.sessionTimeoutMs);
    this.sessions.set(brokerId, { brokerEpoch, lastContactMs: nowMs, heard, timer });
  }

  /** Whether `brokerId` (any epoch) was heard from within the session timeout. */
  isAlive(brokerId: number): boolean {
    const s = this.sessions.get(brokerId);
    return s !== undefined && s.heard && this.runtime.clock.now() - s.lastContactMs < this.sessionTimeoutMs;
  }

  remove(brokerId: number): void {
    const s = this.sessions.get(brokerId);
    if (s) this.runtime.timers.clearTimeout(s.timer);
    this.sessions.delete(brokerId);
  }

  clear(): void {
    for (const s of this.sessions.values()) this.runtime.timers.clearTimeout(s.timer);
    this.sessions.clear();
  }

  size(): number {
    return this.sessions.size;
  }
}

function registrationResponse(errorCode: ErrorCode, brokerEpoch = -1): BrokerRegistrationResponse {
  return { throttleTimeMs: 0, errorCode, brokerEpoch };
}

function heartbeatResponse(errorCode: ErrorCode, fields: Partial<BrokerHeartbeatResponse> = {}): BrokerHeartbeatResponse {
  return { throttleTimeMs: 0, errorCode, isCaughtUp: false, isFenced: true, shouldShutDown: false, ...fields };
}

function sameRegistration(b: BrokerRegistration, req: BrokerRegistrationRequest): boolean {
  return (
    b.rack === req.rack &&
    JSON.stringify(b.endpoints) === JSON.stringify(req.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol }))) &&
    JSON.stringify(b.features) ===
      JSON.stringify(req.features.map((f) => ({ name: f.name, minSupportedVersion: f.minSupportedVersion, maxSupportedVersion: f.maxSupportedVersion })))
  );
}

export interface RegistrationOptions {
  /** When set, registrations from another cluster are refused (INCONSISTENT_CLUSTER_ID). */
  readonly clusterId?: string;
}

export function registerBroker(
  ctx: ControlContext,
  req: BrokerRegistrationRequest,
  sessions: BrokerSessions,
  options: RegistrationOptions,
): ControllerResult<BrokerRegistrationResponse> & { readonly message?: string } {
  if (options.clusterId !== undefined && req.clusterId !== options.clusterId) {
    return { ...result(registrationResponse(ErrorCode.INCONSISTENT_CLUSTER_ID)), message: `cluster id ${req.clusterId} is not ${options.clusterId}` };
  }
  // Every finalized feature the broker advertises must include the finalized level. (Kafka also
  // assumes a broker that sends no metadata.version range supports only the oldest one; we accept it.)
  for (const f of req.features) {
    const level = ctx.image.features.get(f.name);
    if (level !== undefined && (level < f.minSupportedVersion || level > f.maxSupportedVersion)) {
      return {
        ...result(registrationResponse(ErrorCode.UNSUPPORTED_VERSION)),
        message: `Unable to register because broker ${req.brokerId} does not support version ${level} of ${f.name} (it supports ${f.minSupportedVersion}-${f.maxSupportedVersion}).`,
      };
    }
  }
  const existing = ctx.image.broker(req.brokerId);
  if (existing && existing.incarnationId === req.incarnationId && sameRegistration(existing, req)) {
    // A retry of a registration that already happened (its response was lost): same epoch, no record.
    sessions.touch(req.brokerId, existing.brokerEpoch);
    return result(registrationResponse(ErrorCode.NONE, existing.brokerEpoch));
  }
  // Kafka's rule: another incarnation may take over the id only once the old one has no valid
  // session — it is fenced, or has not been heard from within the session timeout.
  if (existing && existing.incarnationId !== req.incarnationId && !existing.fenced && sessions.isAlive(req.brokerId)) {
    return { ...result(registrationResponse(ErrorCode.DUPLICATE_BROKER_REGISTRATION)), message: `Another broker is registered with broker id ${req.brokerId}.` };
  }
  const records: MetadataRecordValue[] = [];
  if (existing && !existing.fenced) {
    // The old incarnation is gone: it leads nothing and leaves the ISRs, as if it had been fenced.
    records.push(...leaderAndIsrUpdates(ctx.image, req.brokerId, acceptableLeaders(ctx.image, req.brokerId), ctx.uncleanElectionDefault));
  }
  const brokerEpoch = ctx.nextOffset + records.length;
  const record: RegisterBrokerRecord = {
    brokerId: req.brokerId,
    isMigratingZkBroker: false,
    incarnationId: req.incarnationId,
    brokerEpoch,
    endPoints: req.listeners.map((l) => ({ name: l.name, host: l.host, port: l.port, securityProtocol: l.securityProtocol })),
    features: req.features.map((f) => ({ name: f.name, minSupportedVersion: f.minSupportedVersion, maxSupportedVersion: f.maxSupportedVersion })),
    rack: req.rack,
    fenced: true,
    inControlledShutdown: false,
    logDirs: [...req.logDirs],
  };
  records.push(rec(REGISTER_BROKER_RECORD_TYPE, record));
  sessions.touch(req.brokerId, brokerEpoch);
  return result(registrationResponse(ErrorCode.NONE, brokerEpoch), records);
}

/** Records that fence `brokerId` and move its leaderships and ISR memberships to others. */
export function fenceBrokerRecords(ctx: ControlContext, b: BrokerRegistration): MetadataRecordValue[] {
  return [
    ...leaderAndIsrUpdates(ctx.image, b.brokerId, acceptableLeaders(ctx.image, b.brokerId), ctx.uncleanElectionDefault),
    rec(FENCE_BROKER_RECORD_TYPE, { id: b.brokerId, epoch: b.brokerEpoch }),
  ];
}

/**
 * Records that unfence `brokerId` and let it lead the leaderless partitions whose ISR it is in (or, where
 * the topic allows unclean election, any leaderless partition it is a replica of: Kafka re-checks every
 * leaderless partition when a broker unfences).
 */
function unfenceBrokerRecords(ctx: ControlContext, b: BrokerRegistration): MetadataRecordValue[] {
  const base = acceptableLeaders(ctx.image);
  const acceptable = (id: number): boolean => id === b.brokerId || base(id);
  return [rec(UNFENCE_BROKER_RECORD_TYPE, { id: b.brokerId, epoch: b.brokerEpoch }), ...leaderAndIsrUpdates(ctx.image, -1, acceptable, ctx.uncleanElectionDefault)];
}

export function brokerHeartbeat(ctx: ControlContext, req: BrokerHeartbeatRequest, sessions: BrokerSessions): ControllerResult<BrokerHeartbeatResponse> {
  const b = ctx.image.broker(req.brokerId);
  if (!b) return result(heartbeatResponse(ErrorCode.BROKER_ID_NOT_REGISTERED));
  if (b.brokerEpoch !== req.brokerEpoch) return result(heartbeatResponse(ErrorCode.STALE_BROKER_EPOCH));
  sessions.touch(b.brokerId, b.brokerEpoch);
  // Caught up once the broker has replayed its own registration.
  const isCaughtUp = req.currentMetadataOffset >= b.brokerEpoch;
  if (req.wantShutDown) {
    if (b.fenced) {
      sessions.remove(b.brokerId);
      return result(heartbeatResponse(ErrorCode.NONE, { isCaughtUp, isFenced: true, shouldShutDown: true }));
    }
    // Controlled shutdown: mark it, move every leadership and ISR membership away, then fence it. Our
    // moves are immediate, so "no leaderships left" (Kafka's condition to shut down) holds at once.
    const records: MetadataRecordValue[] = [];
    if (!b.inControlledShutdown) {
      const change: BrokerRegistrationChangeRecord = { brokerId: b.brokerId, brokerEpoch: b.brokerEpoch, fenced: 0, inControlledShutdown: 1, logDirs: [] };
      records.push(rec(BROKER_REGISTRATION_CHANGE_RECORD_TYPE, change));
    }
    records.push(...fenceBrokerRecords(ctx, b));
    sessions.remove(b.brokerId);
    return result(heartbeatResponse(ErrorCode.NONE, { isCaughtUp, isFenced: true, shouldShutDown: true }), records);
  }
  if (b.fenced && !req.wantFence && isCaughtUp && !b.inControlledShutdown) {
    return result(heartbeatResponse(ErrorCode.NONE, { isCaughtUp, isFenced: false }), unfenceBrokerRecords(ctx, b));
  }
  if (!b.fenced && req.wantFence) {
    return result(heartbeatResponse(ErrorCode.NONE, { isCaughtUp, isFenced: true }), fenceBrokerRecords(ctx, b));
  }
  return result(heartbeatResponse(ErrorCode.NONE, { isCaughtUp, isFenced: b.fenced }));
}

/** A broker's session expired: fence it (nothing if it is gone, re-registered or fenced already). */
export function expireSession(ctx: ControlContext, brokerId: number, brokerEpoch: number): MetadataRecordValue[] {
  const b = ctx.image.broker(brokerId);
  if (!b || b.brokerEpoch !== brokerEpoch || b.fenced) return [];
  return fenceBrokerRecords(ctx, b);
}

export function unregisterBroker(ctx: ControlContext, req: UnregisterBrokerRequest, sessions: BrokerSessions): ControllerResult<UnregisterBrokerResponse> {
  const b = ctx.image.broker(req.brokerId);
  if (!b) return result({ throttleTimeMs: 0, errorCode: ErrorCode.BROKER_ID_NOT_REGISTERED, errorMessage: `Broker ${req.brokerId} is not registered.` });
  sessions.remove(b.brokerId);
  return result({ throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null }, [
    ...leaderAndIsrUpdates(ctx.image, b.brokerId, acceptableLeaders(ctx.image, b.brokerId), ctx.uncleanElectionDefault),
    rec(UNREGISTER_BROKER_RECORD_TYPE, { brokerId: b.brokerId, brokerEpoch: b.brokerEpoch }),
  ]);
}
