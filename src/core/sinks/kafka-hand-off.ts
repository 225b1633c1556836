import type { KafkaProduceOp } from '../ops.js';
import type { BuiltRequest, SinkBatch, SinkPolicy } from '../sink.js';

export const KAFKA_HAND_OFF_ENDPOINT = 'kafka';

/** Records per produce request: kafkajs sends them as one batch per partition. */
const MAX_RECORDS = 500;

/**
 * Records for topics tributary owns (delayed steps, partner decisions), produced in batches with acks from
 * all in-sync replicas. A record Kafka refuses for good (too large) is isolated and dead-lettered.
 */
export function kafkaHandOffSink(lingerMs: number): SinkPolicy<KafkaProduceOp> {
  return {
    endpoint: KAFKA_HAND_OFF_ENDPOINT,
    kinds: ['kafka.produce'],
    newBatch: <R>(now: number) => new HandOffBatch<R>(now, lingerMs),
  };
}

class HandOffBatch<R> implements SinkBatch<KafkaProduceOp, R> {
  private readonly items: Array<{ op: KafkaProduceOp; ref: R }> = [];
  readonly lingerUntilMs: number;

  constructor(readonly openedAtMs: number, lingerMs: number) {
    this.lingerUntilMs = openedAtMs + lingerMs;
  }

  get opCount(): number {
    return this.items.length;
  }

  offer(op: KafkaProduceOp, ref: R) {
    if (this.items.length >= MAX_RECORDS) return 'full' as const;
    this.items.push({ op, ref });
    return 'accept' as const;
  }

  isEmpty(): boolean {
    return this.items.length === 0;
  }

  flushReason(now: number) {
    if (this.items.length === 0) return null;
    if (this.items.length >= MAX_RECORDS) return 'count' as const;
    return now >= this.lingerUntilMs ? ('linger' as const) : null;
  }

  build(): BuiltRequest<R> {
    const records = this.items.map(({ op }) => ({ topicKey: op.topicKey, key: op.key, value: op.value, ...(op.stampField ? { stampField: op.stampField } : {}) }));
    return {
      request: { method: 'PRODUCE', records },
      refs: this.items.map((it) => it.ref),
      objects: records.length,
      read: () => ({ kind: 'answered', resultOf: () => ({ kind: 'delivered' }) }),
    };
  }
}
