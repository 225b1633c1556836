import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompressionTypes, type EachMessagePayload } from 'kafkajs';
import { type KafkaSandbox, startKafkaSandbox } from '../../../../src/sandbox/kafka/index.js';
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
});
