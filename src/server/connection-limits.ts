/**
 * Who may open a connection, and when: Kafka's ConnectionQuotas for one listener, plus a guard
 * Kafka does not need (its ulimit is set high by its packaging) against running out of file
 * descriptors. Decisions only; the listener (socket-server.ts) acts on them.
 *
 * - `max.connections.per.ip` / `max.connections.per.ip.overrides`: over the limit a new
 *   connection is closed at once (Kafka: TooManyConnectionsException);
 * - `max.connections`: over the limit a new connection is closed (Kafka's acceptor blocks instead;
 *   Node cannot stop accepting without closing the listener), after trying to make room by
 *   closing the least recently active idle connection, as Kafka does for the broker-wide limit;
 * - `max.connection.creation.rate`: accepts beyond the rate wait (paused, unread) until the rate
 *   allows them, as Kafka's acceptor throttles;
 * - file descriptors: connections may use the half of the open-files limit that storage leaves
 *   (storage/open-files.ts) minus a reserve; at that point a new connection closes the least
 *   recently active idle connection, or is refused with a log line, rather than letting libuv
 *   drop connections silently at EMFILE.
 */
import { isIP } from 'node:net';
import { lookup } from 'node:dns/promises';

/** Descriptors kept free below the connections' share for Node itself, the listener and logs. */
export const FD_RESERVE = 32;

/** `::ffff:1.2.3.4` and `1.2.3.4` are one client. */
export function normalizeIp(address: string): string {
  return address.startsWith('::ffff:') && isIP(address.slice(7)) === 4 ? address.slice(7) : address;
}

/** Parses `host:limit,host:limit` (Kafka's max.connections.per.ip.overrides); host names resolve to every address. */
export async function resolvePerIpOverrides(entries: readonly string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const entry of entries) {
    const i = entry.lastIndexOf(':');
    const host = entry.slice(0, i).replace(/^\[|\]$/g, '');
    const limit = Number(entry.slice(i + 1));
    if (isIP(host) !== 0) {
      out.set(normalizeIp(host), limit);
      continue;
    }
    for (const a of await lookup(host, { all: true })) out.set(normalizeIp(a.address), limit);
  }
  return out;
}

/** A token bucket of `ratePerSec` accepts with a one-second burst; Infinity = unthrottled. */
export class CreationRate {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly ratePerSec: number,
    private readonly now: () => number = Date.now,
  ) {
    this.tokens = ratePerSec;
    this.lastMs = now();
  }

  get unlimited(): boolean {
    return !Number.isFinite(this.ratePerSec) || this.ratePerSec >= 2_147_483_647;
  }

  /** 0 when a connection may start now (and takes its token); else ms until one may. */
  delayMs(): number {
    if (this.unlimited) return 0;
    const now = this.now();
    this.tokens = Math.min(this.ratePerSec, this.tokens + ((now - this.lastMs) * this.ratePerSec) / 1000);
    this.lastMs = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSec);
  }
}

/** Logs a recurring condition at most once per interval, with how often it happened meanwhile. */
export class OncePerInterval {
  private lastMs = -Infinity;
  private suppressed = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly log: (count: number) => void,
  ) {}

  hit(): void {
    const now = Date.now();
    if (now - this.lastMs < this.intervalMs) {
      this.suppressed++;
      return;
    }
    this.lastMs = now;
    const count = this.suppressed + 1;
    this.suppressed = 0;
    this.log(count);
  }
}
