/**
 * V8 flags the `tributary server` process runs with — our equivalent of the heap options Kafka's
 * start script sets. They sit in three places that must agree (a unit test checks): the shebang
 * of main.ts (the installed `tributary` command), package.json's `start` script, and the test
 * and bench helpers that spawn `node dist/src/cli/main.js server`.
 *
 * --initial-heap-size=64 (MiB): V8 counts ArrayBuffer memory allocated since the last
 * mark-compact against the old generation's limit, which for the broker's small heap (about
 * 8 MiB live) starts near 20 MiB. Every socket read allocates a 64 KiB buffer, so at a few
 * hundred MB/s the broker ran a full mark-compact every 20–50 ms (29% of its main thread). With a
 * 64 MiB starting limit the young-generation scavenges reclaim those buffers first: 0
 * mark-compacts per GB, broker CPU per 1 KiB record 2.3 → 1.2 µs, catch-up read 410 → 644 MB/s
 * (docs/performance.md). The limit is not memory taken: idle RSS is unchanged.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--initial-heap-size=64'];
