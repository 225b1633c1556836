import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, type EachMessagePayload } from 'kafkajs';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { FAST_CONSUMER, kafkaClient, uniqueName, waitFor } from './helpers.js';

interface Received {
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, unknown>;
}

describe('kafka sandbox round trip', () => {
  let sandbox: KafkaSandbox;

  beforeAll(async () => {
    sandbox = await startKafkaSandbox();
  });

  afterAll(async () => {
    await sandbox.close();
  });

  async function consumeAll(topic: string, expected: number): Promise<Received[]> {
    const kafka = kafkaClient(sandbox.brokers);
    const consumer = kafka.consumer({ groupId: uniqueName('g'), ...FAST_CONSUMER });
    const received: Received[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({
        eachMessage: async ({ partition, message }: EachMessagePayload) => {
          received.push({ partition, offset: message.offset, key: message.key, value: message.value, headers: message.headers ?? {} });
        },
      });
      await waitFor(() => received.length >= expected, `${expected} messages on ${topic}`);
    } finally {
      await consumer.disconnect();
    }
    return received;
  }

  it('delivers keys, headers, null keys and null values as produced', async () => {
    const topic = uniqueName('rt');
    const producer = kafkaClient(sandbox.brokers).producer();
    await producer.connect();
    await producer.send({
      topic,
      messages: [
        { key: 'k1', value: 'v1', headers: { h1: 'a', h2: Buffer.from([0, 1, 2]) } },
        { key: null, value: 'no key', partition: 0 },
        { key: 'tombstone', value: null, partition: 0 },
      ],
    });
    await producer.disconnect();

    const received = await consumeAll(topic, 3);
    const byValue = new Map(received.map((r) => [r.value?.toString() ?? '<null>', r]));
    expect(byValue.get('v1')!.key!.toString()).toBe('k1');
    expect((byValue.get('v1')!.headers.h1 as Buffer).toString()).toBe('a');
    expect(byValue.get('v1')!.headers.h2).toEqual(Buffer.from([0, 1, 2]));
    expect(byValue.get('no key')!.key).toBeNull();
    expect(byValue.get('<null>')!.key!.toString()).toBe('tombstone');
    expect(byValue.get('<null>')!.value).toBeNull();
  });

  it('round-trips gzip-compressed batches', async () => {
    const topic = uniqueName('gzip');
    const producer = kafkaClient(sandbox.brokers).producer();
    await producer.connect();
    const messages = Array.from({ length: 200 }, (_, i) => ({ key: `k${i % 7}`, value: `compressible value ${i} `.repeat(10) }));
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages });
    await producer.disconnect();

    const received = await consumeAll(topic, messages.length);
    expect(received.map((r) => r.value!.toString()).sort()).toEqual(messages.map((m) => m.value).sort());
  });

  it('keeps per-partition order across 5000 records sent in one batch', async () => {
    const topic = uniqueName('order');
    const producer = kafkaClient(sandbox.brokers).producer();
    await producer.connect();
    const messages = Array.from({ length: 5000 }, (_, i) => ({ key: `user-${i % 50}`, value: String(i) }));
    await producer.send({ topic, messages });
    await producer.disconnect();

    const received = await consumeAll(topic, messages.length);
    expect(received).toHaveLength(5000);
    const partitionByKey = new Map<string, number>();
    const lastByKey = new Map<string, number>();
    const offsetsByPartition = new Map<number, number[]>();
    for (const r of received) {
      const key = r.key!.toString();
      const seq = Number(r.value!.toString());
      // Every record of a key lands in the partition the client's partitioner chose for it.
      expect(partitionByKey.get(key) ?? r.partition).toBe(r.partition);
      partitionByKey.set(key, r.partition);
      expect(seq).toBeGreaterThan(lastByKey.get(key) ?? -1);
      lastByKey.set(key, seq);
      const offsets = offsetsByPartition.get(r.partition) ?? [];
      offsets.push(Number(r.offset));
      offsetsByPartition.set(r.partition, offsets);
    }
    // The client's partitioner spreads the keys; each partition's offsets are dense and ordered.
    expect(offsetsByPartition.size).toBeGreaterThan(1);
    for (const offsets of offsetsByPartition.values()) {
      expect(offsets).toEqual(offsets.map((_, i) => i));
    }
  });

  it('serves a single record larger than the fetch size limits', async () => {
    const topic = uniqueName('big');
    const producer = kafkaClient(sandbox.brokers).producer();
    await producer.connect();
    // Larger than both fetch limits below, and within the broker's 1 MiB max.message.bytes.
    const big = Buffer.alloc(512 * 1024 + 17, 7);
    await producer.send({ topic, messages: [{ key: 'big', value: big, partition: 1 }, { value: 'after', partition: 1 }] });
    await producer.disconnect();

    const kafka = kafkaClient(sandbox.brokers);
    const consumer = kafka.consumer({ groupId: uniqueName('g'), ...FAST_CONSUMER, maxBytesPerPartition: 64 * 1024, maxBytes: 128 * 1024 });
    const values: Buffer[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value!); } });
      await waitFor(() => values.length >= 2, 'the large record and its successor');
    } finally {
      await consumer.disconnect();
    }
    expect(values[0].equals(big)).toBe(true);
    expect(values[1].toString()).toBe('after');
  });
});
