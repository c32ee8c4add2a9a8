import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root. This file compiles to `dist/test/helpers/paths.js`, so the root is three
 * levels up from it. Python scripts and other non-compiled assets are read from the source tree
 * (`test/e2e/clients/`), never from `dist/`.
 */
export const repoRoot: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** Directory with the client scripts (python etc.) used by the end-to-end tests. */
export const clientsDir: string = path.join(repoRoot, 'test', 'e2e', 'clients');

/** The compiled broker CLI entry point, beside this compiled file (`dist/src/cli/main.js` in a normal build). */
export const brokerCli: string = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli', 'main.js');

/** The Debian interpreter that sees python3-kafka and python3-confluent-kafka. */
export const debianPython = '/usr/bin/python3';
