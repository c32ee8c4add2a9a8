/**
 * Decoding inbound Raft requests from frames: like protocol/headers.ts `decodeRequest`, except that Vote
 * (52) is read with the v2 spec of vote-v2.ts, so pre-votes are understood. A server routes the Raft API
 * keys (RAFT_API_KEYS) here and hands the body to `RaftClient.handleRequest`.
 */
import { ByteReader } from '../../protocol/bytes.js';
import { encodeResponseFrame, peekRequestHeader, readRequestHeader, type RequestHeader } from '../../protocol/headers.js';
import { API_BY_KEY } from '../../protocol/messages/index.js';
import { decodeMessage } from '../../protocol/schema/codec.js';
import type { ApiSpec } from '../../protocol/schema/dsl.js';
import { RAFT_API_KEYS } from './inbound.js';
import { METADATA_TOPIC, METADATA_TOPIC_ID } from './raft-messages.js';
import { VoteV2Api } from './vote-v2.js';

export { RAFT_API_KEYS };

const RAFT_KEYS = new Set<number>(Object.values(RAFT_API_KEYS));

export function isRaftApiKey(apiKey: number): boolean {
  return RAFT_KEYS.has(apiKey);
}

/** The spec a Raft RPC is decoded and answered with. */
export function raftApiSpec(apiKey: number): ApiSpec | undefined {
  return apiKey === RAFT_API_KEYS.vote ? VoteV2Api : API_BY_KEY.get(apiKey);
}

export function decodeRaftRequest(frame: Buffer): { header: RequestHeader; spec: ApiSpec; body: unknown } {
  const { apiKey } = peekRequestHeader(frame);
  const spec = raftApiSpec(apiKey);
  if (spec === undefined || !isRaftApiKey(apiKey)) throw new Error(`api key ${apiKey} is not a Raft RPC`);
  const r = new ByteReader(frame);
  const header = readRequestHeader(r, spec);
  return { header, spec, body: decodeMessage(spec.request, header.apiVersion, r) };
}

export function encodeRaftResponse(spec: ApiSpec, header: RequestHeader, body: object): Buffer[] {
  return encodeResponseFrame(spec, header.apiVersion, header.correlationId, body);
}

/**
 * Whether a Fetch request is for the metadata log (a Raft follower or observer): the server hands those to
 * `RaftClient.handleRequest(1, …)` instead of its partition fetch path.
 */
export function isRaftFetchRequest(body: { topics: readonly { topic?: string; topicId?: string }[] }): boolean {
  return body.topics.some((t) => t.topic === METADATA_TOPIC || t.topicId === METADATA_TOPIC_ID);
}
