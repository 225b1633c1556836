import { fork } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CompressionTypes } from 'kafkajs';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { FAST_CONSUMER, kafkaClient, uniqueName, waitFor } from './helpers.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SANDBOX_PROCESS = fileURLToPath(new URL('./fixtures/sandbox-process.ts', import.meta.url));

describe('kafka sandbox persistence', () => {
  let dataDir: string;
  const sandboxes: KafkaSandbox[] = [];

  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'kafka-sandbox-'));
  });

  afterEach(async () => {
    await Promise.all(sandboxes.splice(0).map((s) => s.close()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function start(options: { retentionBytes?: number } = {}): Promise<KafkaSandbox> {
    const sandbox = await startKafkaSandbox({ dataDir, ...options });
    sandboxes.push(sandbox);
    return sandbox;
  }

  async function readFrom(brokers: string[], topic: string, groupId: string, count: number): Promise<string[]> {
    const consumer = kafkaClient(brokers).consumer({ groupId, ...FAST_CONSUMER });
    const values: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => { values.push(message.value!.toString()); } });
    try {
      await waitFor(() => values.length >= count, `${count} records from ${topic}`);
    } finally {
      await consumer.disconnect();
    }
    return values;
  }

  it('keeps topics, records and committed offsets across a restart', async () => {
    const topic = uniqueName('persist');
    const groupId = uniqueName('g');
    const before = await start();
    const kafka = kafkaClient(before.brokers);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ key: `k${i}`, value: `v${i}` })) });
    await producer.send({ topic, compression: CompressionTypes.GZIP, messages: Array.from({ length: 30 }, (_, i) => ({ value: `v${30 + i}` })) });
    await producer.disconnect();

    const committer = kafka.consumer({ groupId, ...FAST_CONSUMER });
    let joined = false;
    committer.on(committer.events.GROUP_JOIN, () => { joined = true; });
    await committer.connect();
    await committer.subscribe({ topic, fromBeginning: true });
    await committer.run({ autoCommit: false, eachMessage: async () => {} });
    await waitFor(() => joined, 'the committer to join');
    await committer.commitOffsets([{ topic, partition: 0, offset: '45' }]);
    await committer.disconnect();
    await admin.disconnect();
    await before.close();

    const after = await start();
    const admin2 = kafkaClient(after.brokers).admin();
    await admin2.connect();
    try {
      expect(await admin2.listTopics()).toContain(topic);
      expect((await admin2.fetchTopicOffsets(topic))[0]).toMatchObject({ low: '0', high: '60' });
      expect((await admin2.fetchOffsets({ groupId, topics: [topic] }))[0].partitions[0].offset).toBe('45');
    } finally {
      await admin2.disconnect();
    }
    expect(await readFrom(after.brokers, topic, groupId, 15)).toEqual(Array.from({ length: 15 }, (_, i) => `v${45 + i}`));

    // New records continue the offsets.
    const producer2 = kafkaClient(after.brokers).producer();
    await producer2.connect();
    const [result] = await producer2.send({ topic, messages: [{ value: 'v60' }] });
    await producer2.disconnect();
    expect(result.baseOffset).toBe('60');
  });

  it('keeps a topic\'s max.message.bytes across a restart', async () => {
    const topic = uniqueName('limit');
    const before = await start();
    const admin = kafkaClient(before.brokers).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'max.message.bytes', value: '10000' }] }] });
    await admin.disconnect();
    await before.close();

    const after = await start();
    const producer = kafkaClient(after.brokers).producer();
    await producer.connect();
    try {
      await expect(producer.send({ topic, messages: [{ value: Buffer.alloc(20_000) }] })).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
      const [sent] = await producer.send({ topic, messages: [{ value: Buffer.alloc(5_000) }] });
      expect(sent.baseOffset).toBe('0');
    } finally {
      await producer.disconnect();
    }
  });

  it('keeps every acknowledged record when the broker process is killed', async () => {
    const topic = uniqueName('crash');
    const child = fork(SANDBOX_PROCESS, [], {
      execArgv: ['--import', 'tsx'],
      cwd: PACKAGE_ROOT, // where `--import tsx` is resolved from
      env: { ...process.env, SANDBOX_DATA_DIR: dataDir },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        child.once('message', (m: { port: number }) => resolve(m.port));
        child.once('exit', (code) => reject(new Error(`sandbox process exited with ${code}`)));
      });
      const producer = kafkaClient([`127.0.0.1:${port}`]).producer();
      await producer.connect();
      for (let i = 0; i < 5; i++) {
        await producer.send({ topic, messages: Array.from({ length: 10 }, (_, j) => ({ value: `r${i * 10 + j}`, partition: 0 })) });
      }
      await producer.disconnect();
    } finally {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }

    const after = await start();
    const values = await readFrom(after.brokers, topic, uniqueName('g'), 50);
    expect(values).toEqual(Array.from({ length: 50 }, (_, i) => `r${i}`));
  });

  it('applies the retention cap and deletes old segments on disk', async () => {
    const topic = uniqueName('retain');
    const sandbox = await start({ retentionBytes: 256 * 1024 });
    const producer = kafkaClient(sandbox.brokers).producer();
    await producer.connect();
    const value = 'x'.repeat(1000);
    for (let i = 0; i < 40; i++) {
      await producer.send({ topic, messages: Array.from({ length: 20 }, () => ({ value, partition: 0 })) });
    }
    await producer.disconnect();

    const admin = kafkaClient(sandbox.brokers).admin();
    await admin.connect();
    const offsets = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0)!;
    await admin.disconnect();
    expect(offsets.high).toBe('800');
    expect(Number(offsets.low)).toBeGreaterThan(0);
    // ~800 KB written against a 256 KiB cap with 64 KiB segments: most segments are gone.
    const segments = readdirSync(join(dataDir, 'logs', topic, '0'));
    expect(segments.length).toBeLessThan(8);

    // A consumer starting from the beginning begins at the new log start.
    const values = await readFrom(sandbox.brokers, topic, uniqueName('g'), 800 - Number(offsets.low));
    expect(values).toHaveLength(800 - Number(offsets.low));
  });
});
