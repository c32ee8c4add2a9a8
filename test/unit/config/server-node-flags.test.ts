import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { SERVER_NODE_FLAGS } from '../../../src/cli/node-flags.js';
import { repoRoot } from '../../helpers/paths.js';

/** The server's V8 flags live in three places that must agree with node-flags.ts. */
test('server node flags: the tributary shebang and `npm start` carry SERVER_NODE_FLAGS', () => {
  const flags = SERVER_NODE_FLAGS.join(' ');
  assert.ok(flags.length > 0);
  const shebang = readFileSync(path.join(repoRoot, 'src', 'cli', 'main.ts'), 'utf8').split('\n')[0];
  assert.equal(shebang, `#!/usr/bin/env -S node ${flags}`);
  const built = readFileSync(path.join(repoRoot, 'dist', 'src', 'cli', 'main.js'), 'utf8').split('\n')[0];
  assert.equal(built, shebang, 'tsc keeps the shebang');
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  // The single-node default serves metrics too (docs/metrics.md); the node flags come first.
  assert.equal(pkg.scripts['start'], `node ${flags} dist/src/cli/main.js server --override metrics.listener=http://127.0.0.1:9644`);
});
