import type { DeadLetter, DecodedRecord } from '../core/ports.js';

/** What the decode stage yields: the record's value as plain data, or why it cannot be read. */
export type DecodeResult =
  | { readonly ok: true; readonly value: unknown; readonly format: 'avro' | 'json' }
  | { readonly ok: false; readonly code: string; readonly detail: string };

/**
 * Turns record bytes into plain values. Returns synchronously when it can (cached schemas);
 * throws an error with `retryable: true` when the schema registry cannot be reached (the record is retried, never dropped).
 */
export interface RecordDecoder {
  decode(record: DecodedRecord): DecodeResult | Promise<DecodeResult>;
}

/** Writes dead letters durably; resolves only once they are acknowledged by Kafka. */
export interface DeadLetterWriter {
  write(letters: readonly DeadLetter[]): Promise<void>;
}

export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: string;
}

/** Commits consumer offsets (Kafka semantics: the next offset to read). */
export interface OffsetCommitter {
  commit(offsets: readonly TopicPartitionOffset[]): Promise<void>;
}

/** Every measurement the pipeline reports. Implemented with prom-client in src/observability; a no-op in tests. */
export interface PipelineObserver {
  recordReceived(partner: string, topic: string): void;
  recordMapped(partner: string, opCount: number): void;
  recordSkipped(partner: string, reason: string): void;
  recordDeadLettered(partner: string, code: string): void;
  recordDelivered(partner: string, endToEndMs: number): void;
  brazeRequest(endpoint: string, status: string, durationMs: number, objects: number, flushReason: string): void;
  brazeRetry(endpoint: string, reason: string): void;
  rateLimitWait(endpoint: string, waitMs: number): void;
  opsInFlight(queued: number, inFlight: number): void;
  consumerLag(topic: string, partition: number, lag: number): void;
  offsetCommitted(topic: string, partition: number): void;
}

export const NOOP_OBSERVER: PipelineObserver = {
  recordReceived() {},
  recordMapped() {},
  recordSkipped() {},
  recordDeadLettered() {},
  recordDelivered() {},
  brazeRequest() {},
  brazeRetry() {},
  rateLimitWait() {},
  opsInFlight() {},
  consumerLag() {},
  offsetCommitted() {},
};

/** Time and randomness, injected so the pipeline can be driven by a fake clock in tests. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};
