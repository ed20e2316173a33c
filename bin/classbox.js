#!/usr/bin/env node
// The checkout runs TypeScript directly through tsx: no build step on the box.
const { register } = await import('tsx/esm/api');

register();
await import('../src/cli.ts');
