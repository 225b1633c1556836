// Where the sandbox broker once answered differently from Apache Kafka 4.4: topic configs at CreateTopics,
// max.message.bytes on Produce, the default partition count, and OffsetCommit for partitions that do not
// exist. The real-Kafka leg (test/integration/real-kafka/broker-parity.test.ts) checks the same answers
// against real Kafka.
import { afterEach, describe, expect, it } from 'vitest';
import { type KafkaSandbox, type KafkaSandboxOptions, startKafkaSandbox } from '../../../src/kafka/index.js';
import { ErrorCode } from '../../../src/kafka/protocol.js';
import { KAFKA_ANSWERS, runBrokerChecks } from './fixtures/broker-checks.js';
import { kafkaClient, uniqueName } from './helpers.js';

describe('kafka sandbox answers as Kafka 4.4 does', () => {
  const sandboxes: KafkaSandbox[] = [];
  afterEach(async () => {
    await Promise.all(sandboxes.splice(0).map((s) => s.close()));
  });
  async function start(options: KafkaSandboxOptions = {}): Promise<KafkaSandbox> {
    const sandbox = await startKafkaSandbox(options);
    sandboxes.push(sandbox);
    return sandbox;
  }

  it('to topic configs, oversized batches, default partition counts and commits to partitions that do not exist', async () => {
    // partitions: 1 is Kafka's num.partitions default, as the real test broker has it.
    const sandbox = await start({ partitions: 1 });
    expect(await runBrokerChecks(sandbox.brokers)).toEqual(KAFKA_ANSWERS);
  });

  it('refuses a kafkajs send larger than the topic\'s max.message.bytes, stores nothing of it, and takes smaller ones', async () => {
    const sandbox = await start();
    const kafka = kafkaClient(sandbox.brokers);
    const admin = kafka.admin();
    const producer = kafka.producer();
    await admin.connect();
    await producer.connect();
    try {
      const topic = uniqueName('limit');
      expect(await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '65536' }] }] })).toBe(true);
      const refused = await producer.send({ topic, messages: [{ value: Buffer.alloc(70_000, 1) }] }).catch((e: unknown) => e);
      expect(refused).toMatchObject({ type: 'MESSAGE_TOO_LARGE', retriable: false });
      expect((await admin.fetchTopicOffsets(topic))[0]).toMatchObject({ low: '0', high: '0' });
      const [sent] = await producer.send({ topic, messages: [{ value: Buffer.alloc(60_000, 1) }] });
      expect(sent).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: '0' });

      // A topic without the config (auto-created here) has the broker default, 1048588 bytes a batch.
      const open = uniqueName('default-limit');
      const tooBig = await producer.send({ topic: open, messages: [{ value: Buffer.alloc(1024 * 1024, 1) }] }).catch((e: unknown) => e);
      expect(tooBig).toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
      const [fits] = await producer.send({ topic: open, messages: [{ value: Buffer.alloc(1024 * 1024 - 100, 1), partition: 0 }] });
      expect(fits).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: '0' });
    } finally {
      await producer.disconnect();
      await admin.disconnect();
    }
  });

  it('creates no topic for a CreateTopics entry with an unknown config, and the other entries of the request', async () => {
    const sandbox = await start();
    const admin = kafkaClient(sandbox.brokers).admin();
    await admin.connect();
    try {
      const bad = uniqueName('bad-config');
      const good = uniqueName('good-config');
      const error = await admin.createTopics({
        topics: [
          { topic: bad, configEntries: [{ name: 'no.such.config', value: '1' }] },
          { topic: good, configEntries: [{ name: 'cleanup.policy', value: 'compact' }, { name: 'retention.ms', value: '60000' }] },
        ],
      }).catch((e: unknown) => e);
      expect(error).toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
      const topics = await admin.listTopics();
      expect(topics).toContain(good);
      expect(topics).not.toContain(bad);
    } finally {
      await admin.disconnect();
    }
  });

  it('gives topics created without a partition count, or auto-created, the `partitions` option: 3 unless set', async () => {
    for (const [options, expected] of [[{}, 3], [{ partitions: 1 }, 1], [{ partitions: 5 }, 5]] as const) {
      const sandbox = await start(options);
      const kafka = kafkaClient(sandbox.brokers);
      const admin = kafka.admin();
      await admin.connect();
      try {
        const created = uniqueName('created');
        const auto = uniqueName('auto');
        expect(await admin.createTopics({ topics: [{ topic: created }] })).toBe(true); // numPartitions -1
        const producer = kafka.producer();
        await producer.connect();
        await producer.send({ topic: auto, messages: [{ value: 'x' }] });
        await producer.disconnect();
        const { topics } = await admin.fetchTopicMetadata({ topics: [created, auto] });
        expect(Object.fromEntries(topics.map((t) => [t.name, t.partitions.length]))).toEqual({ [created]: expected, [auto]: expected });
      } finally {
        await admin.disconnect();
      }
    }
  });
});
