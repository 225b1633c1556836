import { defineConfig } from 'vitest/config';

// The package's tests on their own (`npm test` in packages/sandbox). The repository root's `npm test` runs them
// too, from the root vitest.config.ts, together with the product's tests.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    environment: 'node',
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Integration tests start real TCP servers on port 0; files run in parallel workers.
    pool: 'forks',
    maxWorkers: 2,
    env: { NODE_ENV: 'test' },
  },
});
