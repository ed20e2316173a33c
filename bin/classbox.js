#!/usr/bin/env node
// Each running GStreamer pipeline keeps one libuv pool thread polling its bus, and each appsink pull
// holds another: the default pool of 4 (shared with fs and dns) would starve. Must be set before the
// pool's first use.
process.env.UV_THREADPOOL_SIZE ??= '32';

// The checkout runs TypeScript directly through tsx: no build step on the box.
const { register } = await import('tsx/esm/api');

register();
await import('../src/cli.ts');
