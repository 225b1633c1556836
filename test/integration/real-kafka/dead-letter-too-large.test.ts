// Runs in the real-Kafka leg (npm run test:kafka). It passes against the sandbox broker too, which enforces
// max.message.bytes as Kafka does: point TRIBUTARY_TEST_KAFKA_BROKERS at `tributary sandbox kafka --port 0`.
import { afterEach, describe, expect, it } from 'vitest';
import { createTopicsServed } from '../../../src/cli/demo-stack.js';
import { Kafka, logLevel } from 'kafkajs';
import { metricTotal, type DemoStack } from '../../../src/cli/demo-stack.js';
import type { SampleRecord } from '../../../src/app/sample-records.js';
import { EXTERNAL_KAFKA, readDeadLetters, removeExternalResources, startE2E, trackExternal, uniqueTopics, waitFor } from '../../helpers/e2e.js';

let stack: DemoStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
  await removeExternalResources();
});

const T0 = Date.parse('2026-05-01T10:00:00Z');
const submission = (id: string, notes: string): SampleRecord => ({
  topicKey: 'komoSubmissions',
  key: `${id}@example.com`,
  value: { submission_id: id, hub_id: 'no-such-hub', card_id: 'c1', submitted_at: T0, email: `${id}@example.com`, fields: { notes } },
});

describe('a dead letter larger than the dead-letter topic accepts (real Kafka)', () => {
  it('is written without its value, says why, and the records after it are dead-lettered whole', async () => {
    if (!EXTERNAL_KAFKA) throw new Error('this test needs real Kafka: run it through `npm run test:kafka`, or set TRIBUTARY_TEST_KAFKA_BROKERS');
    // The dead-letter topic accepts 64 KB; the source topic keeps the broker default (1 MB), so a 200 KB
    // record is read but its letter refused. Made before the stack, which then finds it already there.
    const topics = uniqueTopics();
    trackExternal({ topics: [topics.deadLetter!] });
    const admin = new Kafka({ clientId: 'too-large-setup', brokers: EXTERNAL_KAFKA, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    try {
      await createTopicsServed(admin, [{ topic: topics.deadLetter!, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '65536' }] }]);
    } finally {
      await admin.disconnect();
    }
    // One source partition: the two records are then handled, and their letters written, in the order produced.
    // Across partitions there is no such order, and the small letter may be written first.
    stack = await startE2E({ partitions: 1, overrides: { topics } });

    await stack.produce([submission('big', 'x'.repeat(200_000))], 0);
    await stack.produce([submission('small', 'fine')], 0);
    await waitFor(async () => (await metricTotal(stack!.app, 'tributary_records_dead_lettered_total')) >= 2, 'both records dead-lettered');

    const letters = await readDeadLetters(stack.brokers, topics.deadLetter!, 2);
    expect(letters).toHaveLength(2);
    const [big, small] = letters;
    expect(big!.key).toBe('big@example.com');
    expect(big!.value).toBeNull();
    expect(big!.headers['tributary.error.code']).toBe('unknown_hub');
    expect(big!.headers['tributary.source.topic']).toBe(topics.komoSubmissions);
    expect(big!.headers['tributary.value.dropped']).toMatch(/refused the original value/);
    expect(small!.key).toBe('small@example.com');
    expect(JSON.parse(small!.value!.toString()).submission_id).toBe('small');
    expect(small!.headers['tributary.value.dropped']).toBeUndefined();
  }, 90_000);
});
