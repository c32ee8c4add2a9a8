/**
 * Request and response headers, and whole frames (size prefix + header + body) built from them.
 * Header versions follow the body: flexible API versions use request header v2 / response header v1,
 * except that ApiVersions responses always use header v0 (KIP-511) so any client can read them.
 */
import { ByteReader, ByteWriter, ProtocolDecodeError } from './bytes.js';
import { decodeMessage, encodeMessage, isFlexible } from './schema/codec.js';
import type { ApiSpec } from './schema/dsl.js';
import { API_BY_KEY } from './messages/index.js';

export const API_VERSIONS_KEY = 18;

export interface RequestHeader {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
}

/** Reads apiKey, apiVersion and correlationId only: enough to answer or reject any frame. */
export function peekRequestHeader(frame: Buffer): { apiKey: number; apiVersion: number; correlationId: number } {
  if (frame.length < 8) throw new ProtocolDecodeError(`request header needs 8 bytes, got ${frame.length}`);
  return { apiKey: frame.readInt16BE(0), apiVersion: frame.readInt16BE(2), correlationId: frame.readInt32BE(4) };
}

/** Decodes the full request header of a known (api, version); the reader is left at the body. */
export function readRequestHeader(r: ByteReader, spec: ApiSpec): RequestHeader {
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const n = r.int16(); // clientId keeps its int16 length even in header v2
  const clientId = n < 0 ? null : r.utf8(n);
  if (isFlexible(spec.request, apiVersion)) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId };
}

function skipTaggedFields(r: ByteReader): void {
  const count = r.uvarint();
  for (let i = 0; i < count; i++) {
    r.uvarint();
    r.raw(r.uvarint());
  }
}

function responseHeaderIsFlexible(spec: ApiSpec, version: number): boolean {
  return spec.apiKey !== API_VERSIONS_KEY && isFlexible(spec.response, version);
}

/** Encodes a whole response frame; the result is a list of chunks (record sets are not copied). */
export function encodeResponseFrame(spec: ApiSpec, version: number, correlationId: number, body: object): Buffer[] {
  const w = new ByteWriter(256);
  w.int32(0); // size, patched below
  w.int32(correlationId);
  if (responseHeaderIsFlexible(spec, version)) w.uvarint(0);
  encodeMessage(spec.response, version, body, w);
  return patchSize(w);
}

/** Encodes a whole request frame, for clients and inter-broker calls. */
export function encodeRequestFrame(spec: ApiSpec, version: number, correlationId: number, clientId: string | null, body: object): Buffer[] {
  const w = new ByteWriter(256);
  w.int32(0);
  w.int16(spec.apiKey).int16(version).int32(correlationId);
  if (clientId === null) w.int16(-1);
  else w.int16(Buffer.byteLength(clientId)).utf8(clientId);
  if (isFlexible(spec.request, version)) w.uvarint(0);
  encodeMessage(spec.request, version, body, w);
  return patchSize(w);
}

function patchSize(w: ByteWriter): Buffer[] {
  const chunks = w.chunks();
  chunks[0]!.writeInt32BE(w.length - 4, 0);
  return chunks;
}

/** Decodes a response frame body (without the size prefix) for a request we sent. */
export function decodeResponse<T>(spec: ApiSpec, version: number, frame: Buffer): { correlationId: number; body: T } {
  const r = new ByteReader(frame);
  const correlationId = r.int32();
  if (responseHeaderIsFlexible(spec, version)) skipTaggedFields(r);
  return { correlationId, body: decodeMessage<T>(spec.response, version, r) };
}

/** Decodes a request frame (without the size prefix). Throws ProtocolDecodeError on malformed input. */
export function decodeRequest<T>(frame: Buffer): { header: RequestHeader; spec: ApiSpec; body: T } {
  const { apiKey } = peekRequestHeader(frame);
  const spec = API_BY_KEY.get(apiKey);
  if (!spec) throw new ProtocolDecodeError(`unknown api key ${apiKey}`);
  const r = new ByteReader(frame);
  const header = readRequestHeader(r, spec);
  return { header, spec, body: decodeMessage<T>(spec.request, header.apiVersion, r) };
}
