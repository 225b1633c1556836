// Throughput of kafkajs against the embedded sandbox broker: produce, consume, and both at once.
// The broker stores and serves batches without re-encoding, so these figures mostly measure
// kafkajs's own encoding and decoding on this machine.
import { pathToFileURL } from 'node:url';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaSandbox } from '@tributary/sandbox/kafka';
import type { BenchResult } from './types.js';

const RECORDS = 200_000;
const BATCH_RECORDS = 1000;
const VALUE_BYTES = 200;
const PARTITIONS = 4;
/** Hard stop for each phase, so the whole scenario stays under ~30 s even on a slow machine. */
const PHASE_LIMIT_MS = 8_000;

function messages(batch: number): { key: string; value: Buffer }[] {
  const value = Buffer.alloc(VALUE_BYTES, 97);
  return Array.from({ length: BATCH_RECORDS }, (_, i) => ({ key: `user-${(batch * BATCH_RECORDS + i) % 5000}`, value }));
}

async function produce(kafka: Kafka, topic: string, deadline: number): Promise<number> {
  const producer = kafka.producer();
  await producer.connect();
  let sent = 0;
  try {
    for (let b = 0; sent < RECORDS && Date.now() < deadline; b++) {
      await producer.send({ topic, acks: 1, messages: messages(b) });
      sent += BATCH_RECORDS;
    }
  } finally {
    await producer.disconnect();
  }
  return sent;
}

/** Starts a consumer that counts records; resolves `done` when `expected()` records arrived. */
async function consume(kafka: Kafka, topic: string, expected: () => number, deadline: number): Promise<{ done: Promise<number>; stop: () => Promise<void> }> {
  const consumer = kafka.consumer({
    groupId: `bench-${topic}`,
    maxWaitTimeInMs: 100,
    heartbeatInterval: 500,
    sessionTimeout: 10_000,
    rebalanceTimeout: 5_000,
    maxBytes: 16 * 1024 * 1024,
    maxBytesPerPartition: 4 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let received = 0;
  const done = new Promise<number>((resolve) => {
    const check = setInterval(() => {
      if (received >= expected() || Date.now() > deadline) {
        clearInterval(check);
        resolve(received);
      }
    }, 5);
  });
  await consumer.run({
    autoCommit: true,
    eachBatch: async ({ batch }) => {
      received += batch.messages.length;
    },
  });
  return { done, stop: () => consumer.disconnect() };
}

export async function run(): Promise<BenchResult[]> {
  const sandbox = await startKafkaSandbox({ partitions: PARTITIONS });
  const kafka = new Kafka({ clientId: 'bench', brokers: sandbox.brokers, logLevel: logLevel.NOTHING });
  const notes = `${VALUE_BYTES}-byte values, ${BATCH_RECORDS} per send, ${PARTITIONS} partitions, kafkajs 2.2.4, acks=1, no compression`;
  try {
    // Phase 1: produce into an idle topic.
    let start = performance.now();
    const produced = await produce(kafka, 'bench-a', Date.now() + PHASE_LIMIT_MS);
    const produceSeconds = (performance.now() - start) / 1000;

    // Phase 2: a consumer group reads the topic back from the beginning.
    start = performance.now();
    const reader = await consume(kafka, 'bench-a', () => produced, Date.now() + PHASE_LIMIT_MS);
    const consumed = await reader.done;
    const consumeSeconds = (performance.now() - start) / 1000;
    await reader.stop();

    // Phase 3: end to end, producer and consumer running together on a fresh topic.
    let target = Number.POSITIVE_INFINITY;
    const follower = await consume(kafka, 'bench-b', () => target, Date.now() + PHASE_LIMIT_MS + 2_000);
    start = performance.now();
    target = await produce(kafka, 'bench-b', Date.now() + PHASE_LIMIT_MS);
    const delivered = await follower.done;
    const endToEndSeconds = (performance.now() - start) / 1000;
    await follower.stop();

    const row = (metric: string, records: number, seconds: number, extra = ''): BenchResult => ({
      scenario: 'kafka-sandbox-throughput',
      metric,
      value: Math.round(records / seconds),
      unit: 'records/s',
      notes: `${records} records in ${seconds.toFixed(2)} s; ${notes}${extra}`,
    });
    return [
      row('produce', produced, produceSeconds),
      row('consume', consumed, consumeSeconds, '; includes group join'),
      row('end-to-end', delivered, endToEndSeconds, '; producer and consumer concurrently'),
    ];
  } finally {
    await sandbox.close();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const results = await run();
  for (const r of results) console.log(`${r.scenario}  ${r.metric.padEnd(10)} ${String(r.value).padStart(9)} ${r.unit}  (${r.notes})`);
}
