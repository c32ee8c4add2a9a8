/**
 * The logging surface the storage layer needs. A pino `Logger` satisfies it; tests pass nothing and get
 * the silent default.
 */
export interface StorageLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

const noop = (): void => {};

export const SILENT_LOGGER: StorageLogger = { debug: noop, info: noop, warn: noop, error: noop };
