import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // `*.alone.test.ts` measure memory; they run first, on their own (vitest.alone.config.ts), where
    // the load of other suites cannot move their figures. `npm test` runs both.
    exclude: ['tests/**/*.alone.test.ts', 'node_modules/**'],
    // Integration tests start brokers, pipelines and child processes: give them room, and keep
    // two workers on the 2-core machines CI runs on.
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['./tests/helpers/temp-root.ts'],
    maxWorkers: 2,
    reporters: ['default', './tests/helpers/summary-reporter.ts'],
  },
});
