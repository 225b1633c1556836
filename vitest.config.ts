import { defineConfig } from 'vitest/config';

// The workspace package @tributary/sandbox resolves to its TypeScript source through the `tributary-source`
// condition of its package.json `exports` (tsconfig.json's `customConditions` does the same for type checks), so
// tests never need, or see, a build of it. Tests run in Vite's server (ssr) environment; its default conditions follow.
const conditions = ['tributary-source', 'module', 'node', 'development|production'];

export default defineConfig({
  ssr: { resolve: { conditions } },
  test: {
    // The product's tests and the sandbox package's own (packages/sandbox/test), in one run.
    include: ['test/**/*.test.ts', 'packages/*/test/**/*.test.ts'],
    // Compares the sandbox with real Kafka: only in the real-Kafka leg (vitest.kafka.config.ts).
    exclude: ['**/node_modules/**', '**/dist/**', 'test/integration/real-kafka/**', 'test/chaos/**'],
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
