// Runs in the real-Kafka leg only (npm run test:kafka): real Kafka must still answer the requests on which the
// sandbox broker once differed from it as the sandbox tests expect (KAFKA_ANSWERS), and the sandbox the same.
import { afterEach, describe, expect, it } from 'vitest';
import { startKafkaSandbox } from '@tributary/sandbox/kafka';
import { KAFKA_ANSWERS, runBrokerChecks } from '../../../packages/sandbox/test/integration/kafka/fixtures/broker-checks.js';
import { EXTERNAL_KAFKA, removeExternalResources, trackExternal } from '../../helpers/e2e.js';

afterEach(async () => {
  await removeExternalResources();
});

describe('the sandbox broker and real Kafka', () => {
  it('answer topic configs, oversized batches, default partition counts and commits to missing partitions alike', async () => {
    if (!EXTERNAL_KAFKA) throw new Error('this test compares against real Kafka: run it through `npm run test:kafka`, or set TRIBUTARY_TEST_KAFKA_BROKERS');
    const real = await runBrokerChecks(EXTERNAL_KAFKA, trackExternal);
    // The test broker runs with num.partitions=1 (scripts/kafka-real.mjs); the sandbox's `partitions` is the same setting.
    const sandbox = await startKafkaSandbox({ partitions: 1 });
    try {
      expect(await runBrokerChecks(sandbox.brokers)).toEqual(real);
    } finally {
      await sandbox.close();
    }
    expect(real).toEqual(KAFKA_ANSWERS);
  }, 90_000);
});
