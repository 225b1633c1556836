import { Writer } from '../codec.js';
import { ErrorCode } from '../protocol.js';
import type { Handler } from './types.js';

/**
 * OffsetCommit 0-5. v0 is a plain commit outside group management (generation -1). v2-4 carry a
 * retention time, which is ignored; v5 drops it. As in Kafka, a partition that does not exist (an
 * unknown topic, or a partition number past the topic's count) gets UNKNOWN_TOPIC_OR_PARTITION and is
 * not stored, whatever the group says; the others are committed, or refused, together.
 */
export const handleOffsetCommit: Handler = (broker, body, ctx) => {
  const v = ctx.apiVersion;
  const groupId = body.string();
  const generationId = v >= 1 ? body.int32() : -1;
  const memberId = v >= 1 ? body.string() : '';
  if (v >= 2 && v <= 4) body.int64(); // retention_time: committed offsets are kept until the group is deleted
  const topics = body.array((r) => ({
    name: r.string(),
    partitions: r.array((r2) => {
      const partition = r2.int32();
      const offset = r2.bigInt64();
      if (v === 1) r2.int64(); // commit timestamp
      return { partition, offset, metadata: r2.nullableString() };
    }),
  }));
  const exists = (topic: string, partition: number): boolean => {
    const count = broker.topics.get(topic)?.partitions.length ?? 0;
    return partition >= 0 && partition < count;
  };
  const offsets = topics.flatMap((t) => t.partitions.filter((p) => exists(t.name, p.partition)).map((p) => ({ topic: t.name, ...p })));
  // Kafka leaves the group out of it when no partition of the request exists.
  const groupError = offsets.length > 0 ? broker.groups.commit(groupId, generationId, memberId, offsets) : ErrorCode.NONE;

  const w = new Writer();
  if (v >= 3) w.int32(0);
  w.array(topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => w3.int32(p.partition).int16(exists(t.name, p.partition) ? groupError : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION));
  });
  return w;
};

/**
 * OffsetFetch 1-4. The group need not exist; partitions without a commit answer offset -1 and no
 * error, which kafkajs resolves through ListOffsets. From v2 a null topic list means every
 * partition the group has committed.
 */
export const handleOffsetFetch: Handler = (broker, body, ctx) => {
  const v = ctx.apiVersion;
  const groupId = body.string();
  const requested = body.nullableArray((r) => ({ name: r.string(), partitions: r.array((r2) => r2.int32()) }));

  let topics: { name: string; partitions: { partition: number; offset: bigint; metadata: string | null }[] }[];
  if (requested === null) {
    topics = [...broker.groups.committedTopics(groupId)].map(([name, byPartition]) => ({
      name,
      partitions: [...byPartition].map(([partition, c]) => ({ partition, offset: c.offset, metadata: c.metadata })),
    }));
  } else {
    topics = requested.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((partition) => {
        const c = broker.groups.committedOffset(groupId, t.name, partition);
        return { partition, offset: c?.offset ?? -1n, metadata: c === undefined ? '' : c.metadata };
      }),
    }));
  }

  const w = new Writer();
  if (v >= 3) w.int32(0);
  w.array(topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => w3.int32(p.partition).int64(p.offset).nullableString(p.metadata).int16(ErrorCode.NONE));
  });
  if (v >= 2) w.int16(ErrorCode.NONE);
  return w;
};
