import { defineConfig } from 'vitest/config';

/** Measurements (memory, latency, echo), one file at a time with nothing else running (see vitest.config.ts). */
export default defineConfig({
  test: {
    include: ['tests/**/*.alone.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['./tests/helpers/temp-root.ts'],
    maxWorkers: 1,
    // Memory is read after a forced collection: V8 collects lazily, and RSS without one is noise.
    execArgv: ['--expose-gc'],
    reporters: ['default'],
  },
});
