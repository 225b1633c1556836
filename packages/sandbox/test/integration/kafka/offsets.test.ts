import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { FAST_CONSUMER, kafkaClient, uniqueName, waitFor } from './helpers.js';

describe('kafka sandbox committed offsets and seek', () => {
  let sandbox: KafkaSandbox;
  let kafka: Kafka;

  beforeAll(async () => {
    sandbox = await startKafkaSandbox({ partitions: 1 });
    kafka = kafkaClient(sandbox.brokers);
  });

  afterAll(async () => {
    await sandbox.close();
  });

  async function produce(topic: string, count: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: count }, (_, i) => ({ value: String(i) })) });
    await producer.disconnect();
  }

  it('resumes at the committed offset after a consumer restart', async () => {
    const topic = uniqueName('resume');
    const groupId = uniqueName('g');
    await produce(topic, 20);

    const first = kafka.consumer({ groupId, ...FAST_CONSUMER });
    const firstSeen: number[] = [];
    await first.connect();
    await first.subscribe({ topic, fromBeginning: true });
    await first.run({
      autoCommit: false,
      eachMessage: async ({ message }) => { firstSeen.push(Number(message.offset)); },
    });
    await waitFor(() => firstSeen.length >= 20, 'the first consumer to read everything');
    await first.commitOffsets([{ topic, partition: 0, offset: '12' }]);
    await first.disconnect();

    const second = kafka.consumer({ groupId, ...FAST_CONSUMER });
    const secondSeen: number[] = [];
    await second.connect();
    await second.subscribe({ topic, fromBeginning: true });
    await second.run({ eachMessage: async ({ message }) => { secondSeen.push(Number(message.offset)); } });
    try {
      await waitFor(() => secondSeen.length >= 8, 'the second consumer to read from the commit');
    } finally {
      await second.disconnect();
    }
    expect(secondSeen).toEqual([12, 13, 14, 15, 16, 17, 18, 19]);
  });

  it('moves a running consumer with seek', async () => {
    const topic = uniqueName('seek');
    await produce(topic, 10);
    const consumer = kafka.consumer({ groupId: uniqueName('g'), ...FAST_CONSUMER });
    const seen: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(Number(message.offset)); } });
    try {
      await waitFor(() => seen.length >= 10, 'the first pass');
      consumer.seek({ topic, partition: 0, offset: '4' });
      await waitFor(() => seen.length >= 16, 'the pass after the seek');
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 4, 5, 6, 7, 8, 9]);
  });

  it('starts an out-of-range committed offset over from the beginning', async () => {
    const topic = uniqueName('oor');
    const groupId = uniqueName('g');
    await produce(topic, 3);
    const committer = kafka.consumer({ groupId, ...FAST_CONSUMER });
    let joined = false;
    committer.on(committer.events.GROUP_JOIN, () => { joined = true; });
    await committer.connect();
    await committer.subscribe({ topic, fromBeginning: true });
    await committer.run({ autoCommit: false, eachMessage: async () => {} });
    await waitFor(() => joined, 'the committer to join');
    // Far past the end of the log: the next consumer gets OFFSET_OUT_OF_RANGE and resets.
    await committer.commitOffsets([{ topic, partition: 0, offset: '1000' }]);
    await committer.disconnect();

    const consumer = kafka.consumer({ groupId, ...FAST_CONSUMER });
    const seen: number[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { seen.push(Number(message.offset)); } });
    try {
      await waitFor(() => seen.length >= 3, 'the records after OFFSET_OUT_OF_RANGE');
    } finally {
      await consumer.disconnect();
    }
    expect(seen).toEqual([0, 1, 2]);
  });
});
