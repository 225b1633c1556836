import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Kafka } from 'kafkajs';
import { Writer } from '../../../src/kafka/codec.js';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { ApiKey, ErrorCode } from '../../../src/kafka/protocol.js';
import { FAST_CONSUMER, kafkaClient, uniqueName, waitFor } from './helpers.js';
import { RawClient } from './raw-client.js';

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

  it('refuses commits to partitions that do not exist at every OffsetCommit version, and stores the others', async () => {
    const topic = uniqueName('commit-missing');
    await produce(topic, 1); // one partition
    const c = await RawClient.connect(sandbox.port);
    try {
      /** Commits offset 7 to partitions 0 and 5 of `topic` and of a topic that does not exist; returns each error. */
      const commit = async (version: number, groupId: string, generationId = -1, memberId = ''): Promise<Record<string, number>> => {
        const w = new Writer().string(groupId);
        if (version >= 1) w.int32(generationId).string(memberId);
        if (version >= 2 && version <= 4) w.int64(-1); // retention time
        w.array([topic, `${topic}-missing`], (w2, t) => w2.string(t).array([0, 5], (w3, p) => {
          w3.int32(p).int64(7);
          if (version === 1) w3.int64(-1); // commit timestamp
          w3.nullableString('');
        }));
        const r = await c.request(ApiKey.OffsetCommit, version, w.toBuffer());
        if (version >= 3) r.int32(); // throttle
        const errors: Record<string, number> = {};
        for (const [t, partitions] of r.array((x) => [x.string(), x.array((y) => [y.int32(), y.int16()] as const)] as const)) {
          for (const [p, e] of partitions) errors[`${t === topic ? 'topic' : 'missing'}/${p}`] = e;
        }
        expect(r.remaining).toBe(0);
        return errors;
      };
      const committed = async (groupId: string): Promise<string[]> => {
        const r = await c.request(ApiKey.OffsetFetch, 4, new Writer().string(groupId).int32(-1).toBuffer());
        r.int32();
        return r.array((t) => {
          const name = t.string();
          return t.array((p) => {
            const partition = p.int32();
            const offset = p.int64();
            p.nullableString();
            p.int16();
            return `${name}/${partition}@${offset}`;
          });
        }).flat();
      };
      const expected = { 'topic/0': ErrorCode.NONE, 'topic/5': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'missing/0': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 'missing/5': ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      for (const version of [0, 1, 2, 3, 4, 5]) {
        const groupId = uniqueName(`plain-v${version}`);
        expect(await commit(version, groupId)).toEqual(expected);
        expect(await committed(groupId)).toEqual([`${topic}/0@7`]);
      }

      // A group member's commit: the missing partitions get 3 whatever the group says, the rest the group's answer.
      const groupId = uniqueName('member');
      const join = await c.request(ApiKey.JoinGroup, 0, new Writer().string(groupId).int32(10_000).string('').string('consumer')
        .int32(1).string('range').bytes(Buffer.alloc(0)).toBuffer());
      expect(join.int16()).toBe(ErrorCode.NONE);
      const generationId = join.int32();
      join.string(); // protocol
      join.string(); // leader
      const memberId = join.string();
      expect(await commit(2, groupId, generationId + 1, memberId)).toEqual({ ...expected, 'topic/0': ErrorCode.ILLEGAL_GENERATION });
      const sync = await c.request(ApiKey.SyncGroup, 0, new Writer().string(groupId).int32(generationId).string(memberId).int32(0).toBuffer());
      expect(sync.int16()).toBe(ErrorCode.NONE);
      expect(await commit(2, groupId, generationId, memberId)).toEqual(expected);
      expect(await commit(5, groupId, generationId, memberId)).toEqual(expected);
      expect(await committed(groupId)).toEqual([`${topic}/0@7`]);
    } finally {
      c.close();
    }
  });
});
