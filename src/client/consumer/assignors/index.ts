/** The built-in assignors by name, and resolution of the `assignors` option. */
import { ClientConfigError } from '../../errors.js';
import { cooperativeStickyAssignor } from './cooperative-sticky.js';
import { rangeAssignor } from './range.js';
import { roundRobinAssignor } from './round-robin.js';
import type { Assignor, AssignorName, RebalanceProtocol } from './types.js';

export { rangeAssignor } from './range.js';
export { roundRobinAssignor } from './round-robin.js';
export { cooperativeStickyAssignor, stickyAssign } from './cooperative-sticky.js';
export * from './types.js';

const BUILT_IN: Record<AssignorName, Assignor> = {
  range: rangeAssignor,
  roundrobin: roundRobinAssignor,
  'cooperative-sticky': cooperativeStickyAssignor,
};

export const DEFAULT_ASSIGNORS: readonly AssignorName[] = ['range', 'cooperative-sticky'];

export function resolveAssignors(list: ReadonlyArray<AssignorName | Assignor> | undefined): Assignor[] {
  const names = list ?? DEFAULT_ASSIGNORS;
  if (names.length === 0) throw new ClientConfigError('assignors must not be empty');
  const out = names.map((a) => {
    if (typeof a !== 'string') return a;
    const found = BUILT_IN[a];
    if (!found) throw new ClientConfigError(`unknown assignor '${String(a)}'; use range, roundrobin, cooperative-sticky or an Assignor object`);
    return found;
  });
  if (new Set(out.map((a) => a.name)).size !== out.length) throw new ClientConfigError('assignors must have distinct names');
  return out;
}

/** Cooperative only if every assignor supports it (Kafka's rule); otherwise eager. */
export function rebalanceProtocolOf(assignors: readonly Assignor[]): RebalanceProtocol {
  return assignors.every((a) => a.protocols.includes('cooperative')) ? 'cooperative' : 'eager';
}
