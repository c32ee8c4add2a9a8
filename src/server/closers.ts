/**
 * What a start-up has opened, closed in the reverse order: on shutdown, or when a later step of the
 * start fails. A closer that throws is logged and the rest still run.
 */
import type { Logger } from 'pino';

export class Closers {
  private readonly list: Array<() => Promise<void> | void> = [];

  constructor(
    private readonly logger: Logger,
    private readonly what: string,
  ) {}

  add(close: () => Promise<void> | void): void {
    this.list.push(close);
  }

  async closeAll(): Promise<void> {
    for (const close of this.list.splice(0).reverse()) {
      try {
        await close();
      } catch (err) {
        this.logger.warn({ err }, `closing ${this.what}`);
      }
    }
  }
}
