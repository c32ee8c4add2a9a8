/**
 * Builds with a deliberate replication (or transaction) bug, to prove the checker catches each (`--mutation NAME`,
 * test/e2e/chaos-mutations). A mutant is a copy of the compiled `src/` tree (beside `dist/src`, at
 * `<repo>/.mutant-<name>-<pid>/src`, so `node_modules` and `package.json` resolve as for the real build)
 * with one change made to one compiled file. Each change must match exactly once: when the code it
 * targets is rewritten, building the mutant fails loudly instead of quietly testing an unchanged
 * broker.
 */
import fs from 'node:fs';
import path from 'node:path';
import { brokerCli } from '../test/helpers/paths.js';

export interface Mutation {
  readonly name: string;
  readonly what: string;
  /** Relative to the compiled src/ directory. */
  readonly file: string;
  readonly find: RegExp;
  readonly replace: string;
}

export const MUTATIONS: readonly Mutation[] = [
  {
    name: 'hw-before-isr',
    what: 'the leader advances the high watermark to its own log end, without waiting for the ISR',
    file: 'cluster/replication/partition.js',
    find: /if \(end < hw\)\s*hw = end;/,
    replace: '',
  },
  {
    name: 'ack-before-replication',
    what: 'acks=all is answered as soon as the leader appended (the purgatory wait is not awaited)',
    file: 'cluster/replication/replica-manager.js',
    find: /await this\.purgatory\.wait\(k, result\.lastOffset \+ 1, opts\.timeoutMs \?\? 30_000\);/,
    replace: 'void this.purgatory.wait(k, result.lastOffset + 1, opts.timeoutMs ?? 30_000).catch(() => undefined);',
  },
  {
    // A "fast path" that answers once the batch is queued: offsets are assigned when an append is
    // queued (write-queue.ts), so the leader replies with them at once and lets its own write, the
    // high watermark and the acks=all wait finish behind the reply. The answer goes out before the
    // write is on any replica, the leader's own included; lanes answered that fast keep records in
    // flight between the leader's queue and its followers all the time, and a leader kill loses them.
    // (Only a set whose offsets were assigned at once is answered early: the offsets must be true ones.)
    name: 'ack-before-append',
    what: 'Produce is answered with the offsets assigned when the batch is queued, before the leader has written it (acks=all included)',
    file: 'cluster/replication/replica-manager.js',
    find: /const result = await p\.log\.append\(records, appendOptions\);/,
    replace:
      'const queuedAt = p.log.logEndOffset; const appending = p.log.append(records, appendOptions); ' +
      'if (p.log.logEndOffset > queuedAt) { appending.then(() => { this.logEndEvents.emit(key(topic, partition)); this.maybeAdvanceHighWatermark(p); }, () => undefined); ' +
      'return { baseOffset: queuedAt, lastOffset: p.log.logEndOffset - 1, logAppendTime: -1, logStartOffset: p.log.logStartOffset }; } ' +
      'const result = await appending;',
  },
  {
    name: 'skip-truncation',
    what: 'a follower told its tail diverges does not truncate it',
    file: 'cluster/replication/replica-fetcher.js',
    find: /await p\.log\.truncateTo\(target\);/,
    replace: '',
  },
  {
    name: 'unclean-election',
    what: 'the controller elects an out-of-sync replica whenever no ISR member can lead (unclean election forced)',
    file: 'cluster/controller/partition-change.js',
    find: /if \(leader === NO_LEADER && \(election === 'unclean' \|\| target\.uncleanOk === true\)\)/,
    replace: 'if (leader === NO_LEADER)',
  },
  // The transactional checks (txn-checker.ts): each makes read_committed consumers see what they must not.
  {
    name: 'txn-read-past-lso',
    what: 'read_committed fetches read up to the high watermark instead of the last stable offset (open transactions visible)',
    file: 'server/handlers/fetch.js',
    find: /maxOffset: readCommitted \? lastStableOffset : hosted\.highWatermark/,
    replace: 'maxOffset: hosted.highWatermark',
  },
  {
    name: 'txn-aborted-visible',
    what: 'read_committed fetches name no aborted transactions, so consumers keep aborted records',
    file: 'server/handlers/fetch.js',
    find: /const aborted = readCommitted && read\.records\.length > 0 \? await hosted\.log\.abortedTransactions\(t\.fetchOffset, read\.nextOffset\) : \[\];/,
    replace: 'const aborted = [];',
  },
];

export interface Mutant {
  readonly mutation: Mutation;
  /** The mutant's `cli/main.js`. */
  readonly cli: string;
  remove(): void;
}

export function buildMutant(name: string): Mutant {
  const mutation = MUTATIONS.find((m) => m.name === name);
  if (!mutation) throw new Error(`unknown mutation ${name}; known: ${MUTATIONS.map((m) => m.name).join(', ')}`);
  const srcDir = path.resolve(path.dirname(brokerCli), '..');
  const root = path.resolve(srcDir, '..', '..');
  const dir = path.join(root, `.mutant-${name}-${process.pid}`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.cpSync(srcDir, path.join(dir, 'src'), { recursive: true, filter: (f) => !f.endsWith('.map') && !f.endsWith('.d.ts') });
  const target = path.join(dir, 'src', mutation.file);
  const code = fs.readFileSync(target, 'utf8');
  const matches = code.match(new RegExp(mutation.find.source, 'g'))?.length ?? 0;
  if (matches !== 1) {
    fs.rmSync(dir, { recursive: true, force: true });
    throw new Error(`mutation ${name} matches ${matches} times in ${mutation.file} (must be once): update chaos/mutations.ts`);
  }
  fs.writeFileSync(target, code.replace(mutation.find, mutation.replace));
  return { mutation, cli: path.join(dir, 'src', 'cli', 'main.js'), remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
