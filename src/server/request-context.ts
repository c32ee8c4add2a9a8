/**
 * What a handler sees of the request it serves and of the broker around it.
 */
import type { Logger } from 'pino';
import type { RequestHeader } from '../protocol/headers.js';
import type { ApiSpec } from '../protocol/schema/dsl.js';
import type { BrokerServices } from './broker-services.js';
import { ErrorCode, KafkaError } from '../protocol/errors.js';

/** `S`: what the listener's handlers are given (the broker's services, or the controller's). */
export interface RequestContext<S = BrokerServices> {
  readonly header: RequestHeader;
  readonly apiVersion: number;
  readonly connectionId: number;
  readonly remoteAddress: string;
  readonly services: S;
  readonly logger: Logger;
}

/** Returns the response body, or null when the protocol says no response is sent (Produce acks=0). */
export type Handler<Req = unknown, Res = unknown, S = BrokerServices> = (request: Req, ctx: RequestContext<S>) => Promise<Res | null> | Res | null;

export interface HandlerRegistration<S = BrokerServices> {
  readonly api: ApiSpec;
  /** Versions advertised in ApiVersions and accepted on the wire. */
  readonly minVersion: number;
  readonly maxVersion: number;
  /**
   * Versions above `maxVersion` accepted from other brokers but not advertised to clients (AddPartitionsToTxn
   * v4, the partition leaders' KIP-890 verification: a client that saw it advertised would pick it).
   */
  readonly brokerMaxVersion?: number;
  readonly handle: Handler<unknown, unknown, S>;
}

export function register<Req, Res, S = BrokerServices>(api: ApiSpec, minVersion: number, maxVersion: number, handle: Handler<Req, Res, S>, opts: { brokerMaxVersion?: number } = {}): HandlerRegistration<S> {
  return { api, minVersion, maxVersion, handle: handle as Handler<unknown, unknown, S>, ...opts };
}

/** Responses may leave out fields: the codec writes their declared defaults. */
export type Reply<T> = T extends Buffer ? T : T extends Array<infer U> ? Array<Reply<U>> : T extends object ? { [K in keyof T]?: Reply<T[K]> } : T;

/** The error code and message to put in a response for an error thrown by a handler's work. */
export function errorOf(err: unknown): { errorCode: number; errorMessage: string | null } {
  if (err instanceof KafkaError) return { errorCode: err.code, errorMessage: err.message };
  return { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: err instanceof Error ? err.message : String(err) };
}
