import { randomUUID } from 'node:crypto';
import type { Consumer, Kafka } from 'kafkajs';
import { TributaryError } from '../../core/errors.js';

export interface StateTopicReader {
  /** Resolves once every partition was read up to its end as of the start. */
  readonly caughtUp: Promise<void>;
  stop(): Promise<void>;
}

/**
 * Reads a compacted state topic from the beginning, and keeps following it (writes of other instances),
 * calling `onRecord` with each key and JSON value (null for a tombstone or a value that is not JSON). Every
 * instance reads every partition, so the state does not depend on which partitions of the input it owns:
 * it survives restarts and moves with rebalances. Its consumer group is private to this reader and never
 * commits.
 */
export async function startStateTopicReader(
  kafka: Kafka,
  options: { topic: string; groupPrefix: string; sessionTimeoutMs: number; heartbeatIntervalMs: number; maxWaitTimeMs: number },
  onRecord: (key: string, value: unknown) => void,
): Promise<StateTopicReader> {
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  try {
    const offsets = await admin.fetchTopicOffsets(options.topic).catch((err: { type?: string; message?: string }) => {
      throw new TributaryError('state_topic_missing', `topic ${options.topic} (the Movable Ink continuity state) cannot be read: ${err.type ?? err.message ?? 'error'}; create it with cleanup.policy=compact`);
    });
    ends = new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  } finally {
    await admin.disconnect();
  }
  const waiting = new Set([...ends].filter(([, high]) => high > 0n).map(([p]) => p));
  let resolveCaughtUp!: () => void;
  const caughtUp = new Promise<void>((resolve) => (resolveCaughtUp = resolve));
  if (waiting.size === 0) resolveCaughtUp();
  const consumer: Consumer = kafka.consumer({
    groupId: `${options.groupPrefix}-${randomUUID()}`,
    sessionTimeout: options.sessionTimeoutMs,
    heartbeatInterval: options.heartbeatIntervalMs,
    maxWaitTimeInMs: options.maxWaitTimeMs,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: options.topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const key = message.key?.toString('utf8');
      if (key !== undefined) {
        let value: unknown = null;
        if (message.value !== null && message.value.length > 0) {
          try {
            value = JSON.parse(message.value.toString('utf8'));
          } catch {
            value = null;
          }
        }
        onRecord(key, value);
      }
      if (waiting.has(partition) && BigInt(message.offset) + 1n >= ends.get(partition)!) {
        waiting.delete(partition);
        if (waiting.size === 0) resolveCaughtUp();
      }
    },
  });
  return {
    caughtUp,
    stop: async () => {
      resolveCaughtUp();
      await consumer.disconnect();
    },
  };
}
