import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Kafka } from 'kafkajs';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { FAST_CONSUMER, kafkaClient, uniqueName, waitFor } from './helpers.js';

describe('kafka sandbox admin API', () => {
  let sandbox: KafkaSandbox;
  let kafka: Kafka;
  let admin: Admin;

  beforeAll(async () => {
    // No auto-creation here, so deleted topics stay deleted and unknown ones stay unknown.
    sandbox = await startKafkaSandbox({ autoCreate: false, partitions: 2 });
    kafka = kafkaClient(sandbox.brokers);
    admin = kafka.admin();
    await admin.connect();
  });

  afterAll(async () => {
    await admin.disconnect();
    await sandbox.close();
  });

  async function produce(topic: string, messages: { value: string; partition: number; timestamp?: string }[]): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages });
    await producer.disconnect();
  }

  it('creates topics, lists them, describes them and deletes them', async () => {
    const t1 = uniqueName('adm');
    const t2 = uniqueName('adm');
    expect(await admin.createTopics({ topics: [{ topic: t1, numPartitions: 4 }, { topic: t2 }] })).toBe(true);
    // Creating an existing topic resolves false (TOPIC_ALREADY_EXISTS).
    expect(await admin.createTopics({ topics: [{ topic: t1 }] })).toBe(false);

    expect(await admin.listTopics()).toEqual(expect.arrayContaining([t1, t2]));
    const { topics } = await admin.fetchTopicMetadata({ topics: [t1, t2] });
    const byName = new Map(topics.map((t) => [t.name, t]));
    expect(byName.get(t1)!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
    expect(byName.get(t2)!.partitions).toHaveLength(2); // the broker default for -1
    for (const p of byName.get(t1)!.partitions) {
      expect(p.leader).toBe(0);
      expect(p.replicas).toEqual([0]);
      expect(p.isr).toEqual([0]);
    }

    await admin.deleteTopics({ topics: [t1] });
    const remaining = await admin.listTopics();
    expect(remaining).not.toContain(t1);
    expect(remaining).toContain(t2);
  });

  it('rejects a replication factor a single broker cannot meet', async () => {
    const error = await admin.createTopics({ topics: [{ topic: uniqueName('rf'), replicationFactor: 3 }] }).catch((e: unknown) => e);
    expect(error).toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_REPLICATION_FACTOR' })] });
  });

  it('reports earliest, latest and by-timestamp offsets', async () => {
    const topic = uniqueName('offs');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    expect(await admin.fetchTopicOffsets(topic)).toEqual(expect.arrayContaining([
      expect.objectContaining({ partition: 0, offset: '0', low: '0', high: '0' }),
    ]));

    const base = 1_700_000_000_000;
    await produce(topic, [
      { value: 'a', partition: 0, timestamp: String(base) },
      { value: 'b', partition: 0, timestamp: String(base + 1000) },
    ]);
    await produce(topic, [{ value: 'c', partition: 0, timestamp: String(base + 2000) }]);

    const offsets = await admin.fetchTopicOffsets(topic);
    const p0 = offsets.find((o) => o.partition === 0)!;
    expect(p0).toMatchObject({ low: '0', high: '3', offset: '3' });

    const at = async (ts: number): Promise<string> =>
      (await admin.fetchTopicOffsetsByTimestamp(topic, ts)).find((o) => o.partition === 0)!.offset;
    expect(await at(base - 1)).toBe('0');
    // A record inside a batch is found exactly, not just its batch.
    expect(await at(base + 500)).toBe('1');
    expect(await at(base + 2000)).toBe('2');
    // Past the last record kafkajs falls back to the high watermark.
    expect(await at(base + 5000)).toBe('3');
  });

  it('fetches, sets and resets a group\'s committed offsets', async () => {
    const topic = uniqueName('grp-offs');
    const groupId = uniqueName('g');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    await produce(topic, Array.from({ length: 10 }, (_, i) => ({ value: String(i), partition: i % 2 })));

    expect(await admin.fetchOffsets({ groupId, topics: [topic] })).toEqual([
      { topic, partitions: expect.arrayContaining([
        expect.objectContaining({ partition: 0, offset: '-1' }),
        expect.objectContaining({ partition: 1, offset: '-1' }),
      ]) },
    ]);

    await admin.setOffsets({ groupId, topic, partitions: [{ partition: 0, offset: '3' }, { partition: 1, offset: '4' }] });
    const set = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(set[0].partitions.sort((a, b) => a.partition - b.partition).map((p) => p.offset)).toEqual(['3', '4']);
    // Without a topic list, OffsetFetch returns every partition the group has committed.
    const all = await admin.fetchOffsets({ groupId });
    expect(all.map((t) => t.topic)).toEqual([topic]);
    expect(all[0].partitions).toHaveLength(2);

    // Each setOffsets/resetOffsets costs kafkajs one idle fetch cycle (its 5 s default wait),
    // so this test keeps to one of each.
    await admin.resetOffsets({ groupId, topic, earliest: true });
    const reset = await admin.fetchOffsets({ groupId, topics: [topic] });
    // The negative "earliest" marker is stored as committed; kafkajs consumers resolve any
    // negative commit through ListOffsets, following their own fromBeginning setting.
    expect(reset[0].partitions.map((p) => p.offset)).toEqual(['-2', '-2']);

    const consumer = kafka.consumer({ groupId, ...FAST_CONSUMER });
    const seen: string[] = [];
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
      await waitFor(() => seen.length >= 10, 'every record from the earliest offset');
    } finally {
      await consumer.disconnect();
    }
    expect(seen.sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  });

  it('describes, lists and deletes groups', async () => {
    const topic = uniqueName('grp-adm');
    const groupId = uniqueName('g');
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });

    const unknown = await admin.describeGroups([uniqueName('nobody')]);
    expect(unknown.groups[0]).toMatchObject({ state: 'Dead', members: [], protocolType: '' });

    const consumer = kafka.consumer({ groupId, ...FAST_CONSUMER });
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({ eachMessage: async () => {} });
    try {
      let state = '';
      await waitFor(() => state === 'Stable', 'a stable group', 10_000, async () => {
        state = (await admin.describeGroups([groupId])).groups[0].state;
      });
      const { groups } = await admin.describeGroups([groupId]);
      expect(groups[0]).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer', protocol: 'RoundRobinAssigner' });
      expect(groups[0].members).toHaveLength(1);
      expect(groups[0].members[0].clientHost).toBe('/127.0.0.1');
      expect(groups[0].members[0].memberAssignment.length).toBeGreaterThan(0);

      const listed = await admin.listGroups();
      expect(listed.groups).toEqual(expect.arrayContaining([{ groupId, protocolType: 'consumer' }]));

      // A group with members cannot be deleted.
      await expect(admin.deleteGroups([groupId])).rejects.toThrow();
    } finally {
      await consumer.disconnect();
    }

    expect((await admin.describeGroups([groupId])).groups[0].state).toBe('Empty');
    expect(await admin.deleteGroups([groupId])).toEqual([{ groupId, errorCode: 0 }]);
    expect((await admin.describeGroups([groupId])).groups[0].state).toBe('Dead');
    expect((await admin.listGroups()).groups.map((g) => g.groupId)).not.toContain(groupId);
    // The group's committed offsets went with it.
    const after = await admin.fetchOffsets({ groupId, topics: [topic] });
    expect(after[0].partitions.every((p) => p.offset === '-1')).toBe(true);
  });
});
