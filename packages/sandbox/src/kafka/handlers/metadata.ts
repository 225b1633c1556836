import { Writer } from '../codec.js';
import { CLUSTER_ID, ErrorCode, NODE_ID } from '../protocol.js';
import { isValidTopicName, type Topic } from '../topic-registry.js';
import type { Handler } from './types.js';

/**
 * Metadata 0-6. Auto-created topics exist (with this node as leader) before the answer is written,
 * because kafkajs gives up on the first LEADER_NOT_AVAILABLE it cannot retry.
 */
export const handleMetadata: Handler = (broker, body, ctx) => {
  const v = ctx.apiVersion;
  // v0 has no null list: an empty list means every topic. From v1, null = all and empty = none.
  const requested = v === 0 ? body.array((r) => r.string()) : body.nullableArray((r) => r.string());
  const allowAutoCreate = v >= 4 ? body.bool() : true;

  const answers: { name: string; errorCode: number; topic: Topic | undefined }[] = [];
  if (requested === null || (v === 0 && requested.length === 0)) {
    for (const topic of broker.topics.all()) answers.push({ name: topic.name, errorCode: ErrorCode.NONE, topic });
  } else {
    for (const name of requested) {
      if (!isValidTopicName(name)) {
        answers.push({ name, errorCode: ErrorCode.INVALID_TOPIC_EXCEPTION, topic: undefined });
        continue;
      }
      const topic = broker.getOrAutoCreate(name, allowAutoCreate);
      answers.push({ name, errorCode: topic === undefined ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.NONE, topic });
    }
  }

  const w = new Writer();
  if (v >= 3) w.int32(0);
  w.int32(1).int32(NODE_ID).string(broker.host).int32(broker.port);
  if (v >= 1) w.nullableString(null); // rack
  if (v >= 2) w.nullableString(CLUSTER_ID);
  if (v >= 1) w.int32(NODE_ID); // controller: admin and the idempotent producer look for it
  w.array(answers, (w2, a) => {
    w2.int16(a.errorCode).string(a.name);
    if (v >= 1) w2.bool(false); // is_internal
    const count = a.topic?.partitions.length ?? 0;
    w2.int32(count);
    for (let p = 0; p < count; p++) {
      w2.int16(ErrorCode.NONE).int32(p).int32(NODE_ID);
      w2.int32(1).int32(NODE_ID); // replicas
      w2.int32(1).int32(NODE_ID); // isr
      if (v >= 5) w2.int32(0); // offline_replicas: none
    }
  });
  return w;
};
