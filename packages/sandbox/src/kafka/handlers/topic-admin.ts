import { Writer } from '../codec.js';
import { ErrorCode } from '../protocol.js';
import { parseTopicConfigs } from '../topic-config.js';
import { isValidTopicName } from '../topic-registry.js';
import type { Handler } from './types.js';

interface TopicOutcome {
  readonly name: string;
  readonly errorCode: number;
  readonly message: string | null;
}

/**
 * CreateTopics 0-3 (v3 is v2). -1 partitions means the broker default (the `partitions` option, Kafka's
 * num.partitions); a replication factor above 1 cannot be met by a single node. Topic configs are checked
 * as Kafka checks them (INVALID_CONFIG for an unknown name or a bad value), after the name and whether the
 * topic exists and before its partition and replica counts, and stored with it; only max.message.bytes has
 * an effect.
 */
export const handleCreateTopics: Handler = (broker, body, ctx) => {
  const v = ctx.apiVersion;
  const topics = body.array((r) => ({
    name: r.string(),
    numPartitions: r.int32(),
    replicationFactor: r.int16(),
    assignments: r.array((r2) => ({ partition: r2.int32(), brokers: r2.array((r3) => r3.int32()) })),
    configs: r.array((r2) => ({ name: r2.string(), value: r2.nullableString() })),
  }));
  body.int32(); // timeout_ms: creation is synchronous
  const validateOnly = v >= 1 ? body.bool() : false;

  const seen = new Map<string, number>();
  for (const t of topics) seen.set(t.name, (seen.get(t.name) ?? 0) + 1);

  const outcomes = topics.map((t): TopicOutcome => {
    const fail = (errorCode: number, message: string): TopicOutcome => ({ name: t.name, errorCode, message });
    if ((seen.get(t.name) ?? 0) > 1) return fail(ErrorCode.INVALID_REQUEST, `topic ${t.name} is listed more than once`);
    if (!isValidTopicName(t.name)) return fail(ErrorCode.INVALID_TOPIC_EXCEPTION, `illegal topic name '${t.name}'`);
    if (broker.topics.get(t.name) !== undefined) return fail(ErrorCode.TOPIC_ALREADY_EXISTS, `Topic '${t.name}' already exists.`);
    const parsed = parseTopicConfigs(t.configs);
    if ('error' in parsed) return fail(ErrorCode.INVALID_CONFIG, parsed.error);
    let partitions: number;
    if (t.assignments.length > 0) {
      if (t.numPartitions !== -1 || t.replicationFactor !== -1) {
        return fail(ErrorCode.INVALID_REQUEST, 'give either a replica assignment or partition and replication counts');
      }
      const indexes = t.assignments.map((a) => a.partition).sort((a, b) => a - b);
      const contiguous = indexes.every((p, i) => p === i);
      const valid = t.assignments.every((a) => a.brokers.length === 1 && a.brokers[0] === 0);
      if (!contiguous || !valid) return fail(ErrorCode.INVALID_REPLICA_ASSIGNMENT, 'the only broker is node 0, one replica per partition');
      partitions = indexes.length;
    } else {
      partitions = t.numPartitions === -1 ? broker.config.defaultPartitions : t.numPartitions;
      if (partitions < 1) return fail(ErrorCode.INVALID_PARTITIONS, `invalid partition count ${t.numPartitions}`);
      if (t.replicationFactor !== -1 && t.replicationFactor !== 1) {
        return fail(ErrorCode.INVALID_REPLICATION_FACTOR, `replication factor ${t.replicationFactor} needs more brokers than the 1 available`);
      }
    }
    if (!validateOnly) broker.createTopic(t.name, partitions, parsed.configs);
    return { name: t.name, errorCode: ErrorCode.NONE, message: null };
  });

  const w = new Writer();
  if (v >= 2) w.int32(0);
  w.array(outcomes, (w2, o) => {
    w2.string(o.name).int16(o.errorCode);
    if (v >= 1) w2.nullableString(o.message);
  });
  return w;
};

/** DeleteTopics 0-1. */
export const handleDeleteTopics: Handler = (broker, body, ctx) => {
  const names = body.array((r) => r.string());
  body.int32(); // timeout_ms
  const w = new Writer();
  if (ctx.apiVersion >= 1) w.int32(0);
  w.array(names, (w2, name) => {
    w2.string(name).int16(broker.deleteTopic(name) ? ErrorCode.NONE : ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
  return w;
};
