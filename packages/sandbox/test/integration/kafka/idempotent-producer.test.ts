import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ISocketFactory } from 'kafkajs';
import { FrameDecoder } from '../../../src/kafka/frame-decoder.js';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { ApiKey } from '../../../src/kafka/protocol.js';
import { FAST_CONSUMER, kafkaClient, uniqueName, waitFor } from './helpers.js';

/**
 * A kafkajs socket factory that lets the first Produce request reach the broker, then breaks the
 * connection instead of delivering the response: the producer must retry a batch the broker has
 * already stored.
 */
function dropFirstProduceResponse(): { factory: ISocketFactory; dropped: () => number } {
  let dropped = 0;
  const factory: ISocketFactory = ({ host, port, onConnect }) => {
    const socket: Socket = connect({ host, port }, onConnect);
    const produceIds = new Set<number>();
    const originalWrite = socket.write.bind(socket) as (chunk: Buffer, ...rest: unknown[]) => boolean;
    socket.write = ((chunk: Buffer, ...rest: unknown[]) => {
      // kafkajs writes one whole request (size prefix included) per call.
      if (Buffer.isBuffer(chunk) && chunk.length >= 12 && chunk.readInt16BE(4) === ApiKey.Produce) {
        produceIds.add(chunk.readInt32BE(8));
      }
      return originalWrite(chunk, ...rest);
    }) as typeof socket.write;

    const originalOn = socket.on.bind(socket);
    socket.on = ((event: string, listener: (...args: unknown[]) => void) => {
      if (event !== 'data') return originalOn(event, listener);
      const decoder = new FrameDecoder(256 * 1024 * 1024);
      return originalOn('data', (chunk: Buffer) => {
        for (const frame of decoder.push(chunk)) {
          if (dropped === 0 && produceIds.has(frame.readInt32BE(0))) {
            dropped++;
            socket.destroy(new Error('connection broken after the broker stored the batch'));
            return;
          }
          const size = Buffer.alloc(4);
          size.writeInt32BE(frame.length, 0);
          listener(Buffer.concat([size, frame]));
        }
      });
    }) as typeof socket.on;
    return socket;
  };
  return { factory, dropped: () => dropped };
}

describe('kafka sandbox idempotent producer', () => {
  let sandbox: KafkaSandbox;

  beforeAll(async () => {
    sandbox = await startKafkaSandbox({ partitions: 1 });
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('stores a retried batch once when the first response is lost', async () => {
    const topic = uniqueName('idem');
    const { factory, dropped } = dropFirstProduceResponse();
    const kafka = kafkaClient(sandbox.brokers, { socketFactory: factory, retry: { initialRetryTime: 50, retries: 5 } });
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    const first = await producer.send({ topic, messages: [{ value: 'a' }, { value: 'b' }, { value: 'c' }] });
    const second = await producer.send({ topic, messages: [{ value: 'd' }] });
    await producer.disconnect();

    expect(dropped()).toBe(1);
    expect(first[0]).toMatchObject({ errorCode: 0, baseOffset: '0' });
    expect(second[0]).toMatchObject({ errorCode: 0, baseOffset: '3' });

    const plain = kafkaClient(sandbox.brokers);
    const admin = plain.admin();
    await admin.connect();
    expect((await admin.fetchTopicOffsets(topic))[0]).toMatchObject({ low: '0', high: '4' });
    await admin.disconnect();

    const consumer = plain.consumer({ groupId: uniqueName('g'), ...FAST_CONSUMER });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { values.push(message.value!.toString()); } });
    try {
      await waitFor(() => values.length >= 4, 'the four records');
    } finally {
      await consumer.disconnect();
    }
    expect(values).toEqual(['a', 'b', 'c', 'd']);
  });
});
