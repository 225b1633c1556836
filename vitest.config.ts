import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Compares the sandbox with real Kafka: only in the real-Kafka leg (vitest.kafka.config.ts).
    exclude: ['**/node_modules/**', 'test/integration/real-kafka/**'],
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
