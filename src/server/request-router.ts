/**
 * Turns one request frame into one response frame (or none), via the handler registered for its API.
 * Requests for an API version we do not serve close the connection, as Kafka does — except
 * ApiVersions, which always gets an answer so that clients can downgrade (COMPAT.md T1).
 */
import { ByteReader, ProtocolDecodeError } from '../protocol/bytes.js';
import { ErrorCode } from '../protocol/errors.js';
import { API_VERSIONS_KEY, encodeResponseFrame, peekRequestHeader, readRequestHeader } from '../protocol/headers.js';
import { decodeMessage } from '../protocol/schema/codec.js';
import { ApiVersionsApi } from '../protocol/messages/index.js';
import type { HandlerRegistration, RequestContext } from './request-context.js';
import type { BrokerServices } from './broker-services.js';

export class UnsupportedRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnsupportedRequestError';
  }
}

/**
 * Told of every request the router served (decoded, handled and encoded, or failed on the way):
 * called on the hot path, so an implementation must not allocate (observability/request-metrics.ts).
 */
export interface RequestObserver {
  requestCompleted(apiKey: number, apiVersion: number, durationMs: number): void;
}

export class RequestRouter<S = BrokerServices> {
  private readonly handlers = new Map<number, HandlerRegistration<S>>();

  constructor(
    registrations: readonly HandlerRegistration<S>[],
    private readonly observer: RequestObserver | null = null,
  ) {
    for (const r of registrations) this.handlers.set(r.api.apiKey, r);
  }

  /** The advertised (key, min, max) table, in key order. */
  advertised(): Array<{ apiKey: number; minVersion: number; maxVersion: number }> {
    return [...this.handlers.values()]
      .map((r) => ({ apiKey: r.api.apiKey, minVersion: r.minVersion, maxVersion: r.maxVersion }))
      .sort((a, b) => a.apiKey - b.apiKey);
  }

  async route(frame: Buffer, base: Omit<RequestContext<S>, 'header' | 'apiVersion'>): Promise<Buffer[] | null> {
    const { apiKey, apiVersion, correlationId } = peekRequestHeader(frame);
    const reg = this.handlers.get(apiKey);
    if (!reg) throw new UnsupportedRequestError(`unsupported api key ${apiKey}`);
    if (apiVersion < reg.minVersion || apiVersion > (reg.brokerMaxVersion ?? reg.maxVersion)) {
      if (apiKey === API_VERSIONS_KEY) {
        // Answer in the v0 body format with UNSUPPORTED_VERSION and our ApiVersions range.
        return encodeResponseFrame(ApiVersionsApi, 0, correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: [{ apiKey: API_VERSIONS_KEY, minVersion: reg.minVersion, maxVersion: reg.maxVersion }],
        });
      }
      throw new UnsupportedRequestError(`unsupported version ${apiVersion} of api key ${apiKey}`);
    }
    if (this.observer === null) return this.serve(reg, frame, apiVersion, correlationId, base);
    // Kafka's TotalTimeMs starts when the request is read; ours when it is dispatched (the wait in the
    // connection's queue is not counted), and ends once the response is encoded.
    const startMs = performance.now();
    try {
      return await this.serve(reg, frame, apiVersion, correlationId, base);
    } finally {
      this.observer.requestCompleted(apiKey, apiVersion, performance.now() - startMs);
    }
  }

  private async serve(reg: HandlerRegistration<S>, frame: Buffer, apiVersion: number, correlationId: number, base: Omit<RequestContext<S>, 'header' | 'apiVersion'>): Promise<Buffer[] | null> {
    const r = new ByteReader(frame);
    const header = readRequestHeader(r, reg.api);
    const body = decodeMessage(reg.api.request, apiVersion, r);
    const ctx: RequestContext<S> = { ...base, header, apiVersion };
    const response = await reg.handle(body, ctx);
    if (response === null) return null;
    return encodeResponseFrame(reg.api, apiVersion, correlationId, response as object);
  }
}

export function isMalformedRequest(err: unknown): boolean {
  return err instanceof ProtocolDecodeError || err instanceof UnsupportedRequestError || err instanceof RangeError;
}
