#!/usr/bin/env node
// The checkout runs TypeScript directly through tsx: no build step on the box.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli.ts');
