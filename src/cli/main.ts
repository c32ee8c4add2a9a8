#!/usr/bin/env -S node --initial-heap-size=64
/**
 * Entry point of the `tributary` command (package.json "bin"). The shebang carries the server's V8
 * flags (node-flags.ts); `env -S` splits them (GNU coreutils 8.30+, macOS, FreeBSD).
 */
import { runCli } from './program.js';

const code = await runCli(process.argv);
process.exit(code);
