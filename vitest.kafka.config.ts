import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// The suites that talk to Kafka as the product does, for a real broker: `npm run test:kafka` starts Apache Kafka
// (scripts/kafka-real.mjs) and runs these with TRIBUTARY_TEST_KAFKA_BROKERS set; any external Kafka works the
// same way. The tests of the sandbox broker itself (packages/sandbox/test/integration/kafka) are not among them.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/integration/pipeline/**/*.test.ts', 'test/integration/real-kafka/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    // Real Kafka's group rebalances take seconds (6 s minimum sessions), not the sandbox's milliseconds.
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
