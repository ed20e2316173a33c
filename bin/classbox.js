#!/usr/bin/env node
// A box holds a steady state for months: a small young generation (2 MB semi-spaces instead of 16)
// costs a little more collecting and keeps about 40 MB out of RSS (measured: 241 -> 203 MB between
// classes). Set before anything allocates much; the ESM loader's worker, started below, takes it too.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--max-semi-space-size=2');

// The checkout runs TypeScript directly through tsx: no build step on the box.
const { register } = await import('tsx/esm/api');

register();
await import('../src/cli.ts');
