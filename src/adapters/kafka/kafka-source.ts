import type { Consumer, EachBatchPayload, Kafka } from 'kafkajs';
import type { RawRecord } from '../../core/ports.js';

export interface KafkaSourceOptions {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** Where a partition without a committed offset starts (auto.offset.reset). */
  readonly startFrom: 'earliest' | 'latest';
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly maxWaitTimeMs: number;
  readonly maxBytesPerPartition: number;
  /** Most bytes of one fetch response (all partitions): each is decoded in one go. */
  readonly maxBytesPerFetch: number;
}

export interface SourceBatchControl {
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  isActive(): boolean;
}

export interface SourceHandlers {
  onBatch(topic: string, partition: number, records: RawRecord[], control: SourceBatchControl, highWatermark: string): Promise<void>;
  /** A new generation's assignment (after every rebalance). */
  onAssignment(assignment: Record<string, number[]>): void;
  /** The group started rebalancing: a chance to commit what is done while the old generation still may. */
  onRebalancing(): void;
  /** The consumer crashed and will not restart by itself. */
  onCrash(error: Error): void;
}

/** Shared by records without headers (never written to). */
const NO_HEADERS: Readonly<Record<string, never>> = Object.freeze({});

/** Partitions whose batches are taken in at the same time (kafkajs's partitionsConsumedConcurrently). */
const PARTITIONS_IN_PARALLEL = 32;

/**
 * A kafkajs consumer-group member with manual commits: records are resolved (fetching moves on) as soon as
 * the pipeline has taken them in, and committed only through `commit` (after delivery).
 */
export class KafkaSource {
  private consumer: Consumer | null = null;
  private assignment: Record<string, number[]> = {};
  private running = false;
  /** Bumped on every group join: a batch fetched in an older generation may no longer resolve offsets. */
  private generation = 0;

  /** When a fetch last completed (empty ones included): Kafka answers while this keeps moving. */
  private lastFetchAtMs: number | null = null;

  constructor(private readonly kafka: Kafka, private readonly options: KafkaSourceOptions) {}

  /** Milliseconds since a fetch last completed, or null before the first one. */
  sinceLastFetchMs(now: number): number | null {
    return this.lastFetchAtMs === null ? null : now - this.lastFetchAtMs;
  }

  get assigned(): Record<string, number[]> {
    return this.assignment;
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(handlers: SourceHandlers): Promise<void> {
    const o = this.options;
    const consumer = this.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeoutMs,
      rebalanceTimeout: o.rebalanceTimeoutMs,
      heartbeatInterval: o.heartbeatIntervalMs,
      maxWaitTimeInMs: o.maxWaitTimeMs,
      maxBytesPerPartition: o.maxBytesPerPartition,
      maxBytes: o.maxBytesPerFetch,
      allowAutoTopicCreation: false,
    });
    this.consumer = consumer;
    consumer.on(consumer.events.GROUP_JOIN, (e) => {
      this.generation++;
      this.assignment = e.payload.memberAssignment as Record<string, number[]>;
      handlers.onAssignment(this.assignment);
    });
    consumer.on(consumer.events.REBALANCING, () => handlers.onRebalancing());
    consumer.on(consumer.events.FETCH, () => {
      this.lastFetchAtMs = Date.now();
    });
    consumer.on(consumer.events.CRASH, (e) => {
      const err = e.payload.error as Error;
      if (!e.payload.restart) {
        this.running = false;
        handlers.onCrash(err);
      }
    });
    await consumer.connect();
    await consumer.subscribe({ topics: [...o.topics], fromBeginning: o.startFrom === 'earliest' });
    this.running = true;
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      // Partitions are handed over independently: one whose records must wait (a schema that cannot be fetched
      // yet, a full in-flight cap) holds back only itself, not the other partitions or topics.
      partitionsConsumedConcurrently: PARTITIONS_IN_PARALLEL,
      eachBatch: async (payload: EachBatchPayload) => {
        const { batch } = payload;
        const generation = this.generation;
        const current = () => generation === this.generation;
        const records: RawRecord[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          key: m.key ?? null,
          value: m.value ?? null,
          headers: (m.headers ?? NO_HEADERS) as Record<string, Buffer | string | undefined>,
          timestampMs: Number(m.timestamp),
        }));
        await handlers.onBatch(batch.topic, batch.partition, records, {
          // After a re-join kafkajs resolves into the new generation's offsets: an old batch must not move them.
          resolveOffset: (offset) => {
            if (current()) payload.resolveOffset(offset);
          },
          heartbeat: () => payload.heartbeat(),
          isActive: () => current() && payload.isRunning() && !payload.isStale(),
        }, batch.highWatermark);
      },
    });
  }

  /**
   * Stop fetching every subscribed topic (for shutdown, or while Braze rejects the configuration). Returns false
   * when the consumer has no group right now (crashed, or restarting): kafkajs refuses then.
   */
  pause(): boolean {
    try {
      this.consumer?.pause(this.options.topics.map((topic) => ({ topic })));
      return true;
    } catch {
      return false;
    }
  }

  resume(): boolean {
    try {
      this.consumer?.resume(this.options.topics.map((topic) => ({ topic })));
      return true;
    } catch {
      return false;
    }
  }

  async commit(offsets: readonly { topic: string; partition: number; offset: string }[]): Promise<void> {
    if (!this.consumer || !this.running) return;
    const owned = offsets.filter((o) => this.assignment[o.topic]?.includes(o.partition));
    if (owned.length > 0) await this.consumer.commitOffsets(owned.map((o) => ({ ...o })));
  }

  /** Members of the group right now (for sharing the Braze rate budget), or null if unknown. */
  async memberCount(): Promise<number | null> {
    try {
      const d = await this.consumer?.describeGroup();
      return d && d.members.length > 0 ? d.members.length : null;
    } catch {
      return null;
    }
  }

  /** Leave the group and close connections. */
  async stop(): Promise<void> {
    this.running = false;
    const c = this.consumer;
    this.consumer = null;
    if (c) await c.disconnect();
  }
}
