import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real TCP servers on port 0; files run in parallel workers.
    pool: 'forks',
    maxWorkers: 2,
    env: { NODE_ENV: 'test' },
    reporters: ['default', './test/helpers/summary-reporter.ts'],
  },
});
