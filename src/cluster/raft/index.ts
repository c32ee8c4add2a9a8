/** The Raft quorum's public surface (see README.md). */
export * from './types.js';
export { RaftClient, type RaftClientOptions, type RaftRole } from './raft-client.js';
export { FileRaftLog, METADATA_LOG_DIR_NAME, type FileRaftLogOptions } from './file-raft-log.js';
export { MemoryRaftLog, type MemoryRaftLogOptions } from './memory-raft-log.js';
export type { RaftLog, RaftBatch, OffsetAndEpoch } from './raft-log.js';
export { FileQuorumStateStore, MemoryQuorumStateStore, type ElectionState, type QuorumStateStore } from './quorum-state.js';
export { NetworkRaftTransport, type QuorumVoter, type RaftTransport } from './raft-transport.js';
export { decodeRaftRequest, encodeRaftResponse, isRaftApiKey, isRaftFetchRequest, raftApiSpec, RAFT_API_KEYS } from './raft-wire.js';
export { METADATA_TOPIC, METADATA_TOPIC_ID } from './raft-messages.js';
export { VoteV2Api } from './vote-v2.js';
