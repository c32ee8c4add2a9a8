/**
 * The states of a transactional id, with Kafka's ids (they are persisted in `__transaction_state`)
 * and names (DescribeTransactions / ListTransactions show them), and which state each may be
 * entered from.
 */
export enum TransactionState {
  /** No transaction open; the id has a producer id and epoch (or is being initialised). */
  Empty = 0,
  /** A transaction is open: partitions (and offsets) have been added. */
  Ongoing = 1,
  /** Commit decided and durable; markers are being written. */
  PrepareCommit = 2,
  /** Abort decided and durable; markers are being written. */
  PrepareAbort = 3,
  CompleteCommit = 4,
  CompleteAbort = 5,
  /** Expiring: a tombstone is being written; never persisted. */
  Dead = 6,
  /** Kafka's in-memory state while fencing a producer; never persisted (see TransactionMetadata.prepareFenceAndAbort). */
  PrepareEpochFence = 7,
}

export const TRANSACTION_STATE_NAMES: Readonly<Record<TransactionState, string>> = {
  [TransactionState.Empty]: 'Empty',
  [TransactionState.Ongoing]: 'Ongoing',
  [TransactionState.PrepareCommit]: 'PrepareCommit',
  [TransactionState.PrepareAbort]: 'PrepareAbort',
  [TransactionState.CompleteCommit]: 'CompleteCommit',
  [TransactionState.CompleteAbort]: 'CompleteAbort',
  [TransactionState.Dead]: 'Dead',
  [TransactionState.PrepareEpochFence]: 'PrepareEpochFence',
};

const S = TransactionState;

/** Kafka's TransactionState.validPreviousStates. */
export const VALID_PREVIOUS_STATES: Readonly<Record<TransactionState, readonly TransactionState[]>> = {
  [S.Empty]: [S.Empty, S.CompleteCommit, S.CompleteAbort],
  [S.Ongoing]: [S.Ongoing, S.Empty, S.CompleteCommit, S.CompleteAbort],
  [S.PrepareCommit]: [S.Ongoing],
  [S.PrepareAbort]: [S.Ongoing, S.PrepareEpochFence],
  [S.CompleteCommit]: [S.PrepareCommit],
  [S.CompleteAbort]: [S.PrepareAbort],
  [S.Dead]: [S.Empty, S.CompleteAbort, S.CompleteCommit],
  [S.PrepareEpochFence]: [S.Ongoing],
};

export function isTransactionState(id: number): id is TransactionState {
  return Number.isInteger(id) && id >= 0 && id <= 7;
}

export function transactionStateFromName(name: string): TransactionState | undefined {
  for (const [id, n] of Object.entries(TRANSACTION_STATE_NAMES)) if (n === name) return Number(id) as TransactionState;
  return undefined;
}

export function canTransition(from: TransactionState, to: TransactionState): boolean {
  return VALID_PREVIOUS_STATES[to].includes(from);
}

/** Ids in these states may expire after `transactional.id.expiration.ms` of inactivity. */
export function isExpirationAllowed(state: TransactionState): boolean {
  return state === S.Empty || state === S.CompleteCommit || state === S.CompleteAbort;
}

/** Kafka's RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH. */
export const NO_PRODUCER_ID = -1;
export const NO_PRODUCER_EPOCH = -1;
/** Short.MAX_VALUE: an epoch may be bumped to it only by a fence. */
export const MAX_PRODUCER_EPOCH = 32767;

/** Kafka's TransactionMetadata.isEpochExhausted: InitProducerId must rotate to a new producer id. */
export function isEpochExhausted(producerEpoch: number): boolean {
  return producerEpoch >= MAX_PRODUCER_EPOCH - 1;
}
