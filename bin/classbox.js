#!/usr/bin/env -S MALLOC_ARENA_MAX=2 node --max-semi-space-size=2
// MALLOC_ARENA_MAX=2: glibc gives every thread that allocates under contention an arena of its own (up
// to 8 per core), and each keeps what was freed in it; a box in a class (GStreamer's streaming threads)
// held twelve of them. glibc fixes the limit early, once Node's own threads have made theirs: only the
// environment sets it in time (this line, which `npx classbox` and `npm start` run, the systemd unit
// and the container; the binding's mallopt comes too late to count).
// A box holds a steady state for months: a small young generation (2 MB semi-spaces instead of 16)
// costs a little more collecting and keeps about 35 MB out of RSS between classes. V8 takes it fully
// only on the command line (the line above, `npm start`, the systemd unit and the container all pass
// it); set here too for `node bin/classbox.js` without it, where it applies in part.
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--max-semi-space-size=2');

// The checkout runs TypeScript directly through tsx: no build step on the box.
const { register } = await import('tsx/esm/api');

register();
await import('../src/cli.ts');
