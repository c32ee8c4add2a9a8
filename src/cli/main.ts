#!/usr/bin/env node
/** Entry point of the `tributary` command (package.json "bin"). */
import { runCli } from './program.js';

const code = await runCli(process.argv);
process.exit(code);
