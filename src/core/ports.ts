/**
 * The ports: every shape the pipeline and the adapters exchange, in one file. Types only: adapters
 * implement them with real I/O, tests with fakes, and the pipeline depends on nothing else.
 */

/** One HTTP answer from Braze, whatever the status. Header lookup is case-insensitive. */
export interface BrazeHttpResponse {
  readonly status: number;
  readonly headers: (name: string) => string | undefined;
  /** Parsed JSON when the body is JSON, else the raw text (possibly empty). */
  readonly body: unknown;
}

/**
 * Sends requests to the Braze REST API with the credentials it was built with. Resolves for every HTTP status
 * (the caller classifies it); rejects only on network errors and timeouts, with errors that never carry the key.
 */
export interface BrazeTransport {
  /**
   * `json`, when given, is the body already serialized: the transport sends it as is, and `body` is then
   * undefined (a transport that wants the body as data parses `json`).
   */
  post(path: string, body: unknown, signal?: AbortSignal, json?: string): Promise<BrazeHttpResponse>;
  /** `query` values that are lists repeat the parameter (`phone=a&phone=b`). */
  get(path: string, query: Readonly<Record<string, string | readonly string[]>>): Promise<BrazeHttpResponse>;
}

/**
 * Sends one JSON POST to a partner's API (absolute URL, the partner's own headers). Resolves for every HTTP
 * status; rejects only on network errors and timeouts, with errors that carry neither credentials nor the body.
 */
export interface PartnerTransport {
  post(url: string, headers: Readonly<Record<string, string>>, body: unknown): Promise<BrazeHttpResponse>;
}

/** A Kafka record as fetched: coordinates, original bytes and headers, before decoding. */
export interface RawRecord {
  readonly topic: string;
  readonly partition: number;
  /** kafkajs offset string (int64 may exceed 2^53). */
  readonly offset: string;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, Buffer | string | undefined>;
  readonly timestampMs: number;
}

/** A record the pipeline gives up on (invariant 3): written to the dead-letter topic with the original bytes. */
export interface DeadLetter {
  readonly record: RawRecord;
  /** Stable, machine-readable reason. */
  readonly code: string;
  /** Human-readable, free of personal data. */
  readonly detail: string;
  /** Braze's error type when Braze rejected the data. */
  readonly brazeErrorType?: string;
  readonly failedAtMs: number;
  /** Set when the original value could not be written to the dead-letter topic (e.g. too large) and was left out. */
  readonly valueDropped?: string;
  /**
   * Set when some of the record's ops were delivered before one was refused, e.g. `1 of 2 ops delivered:
   * track.event`: replaying the record would apply those again (events twice).
   */
  readonly delivered?: string;
}

/** What the decode stage yields: the record's value as plain data, or why it cannot be read. */
export type DecodeResult =
  | { readonly ok: true; readonly value: unknown; readonly format: 'avro' | 'json' }
  | { readonly ok: false; readonly code: string; readonly detail: string };

/**
 * Turns record bytes into plain values. Returns synchronously when it can (cached schemas);
 * throws an error with `retryable: true` when the schema registry cannot be reached (the record is retried, never dropped).
 */
export interface RecordDecoder {
  decode(record: RawRecord): DecodeResult | Promise<DecodeResult>;
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
  /** Records of one fetched batch taken in (counted per batch, not per record). */
  recordsReceived(partner: string, topic: string, count: number): void;
  /** Records mapped to ops, and how many ops they made, per batch. */
  recordsMapped(partner: string, records: number, ops: number): void;
  recordSkipped(partner: string, reason: string): void;
  recordDeadLettered(partner: string, code: string): void;
  recordDelivered(partner: string, endToEndMs: number): void;
  brazeRequest(endpoint: string, status: string, durationMs: number, objects: number, flushReason: string): void;
  brazeRetry(endpoint: string, reason: string): void;
  rateLimitWait(endpoint: string, waitMs: number): void;
  opsInFlight(queued: number, inFlight: number): void;
  /** The requests an endpoint may have in flight now (adaptive, below braze.maxConcurrentRequests); reported when it changes. */
  requestConcurrency(endpoint: string, limit: number): void;
  /** Records between a partition's committed offset and its log end. */
  consumerLag(topic: string, partition: number, lag: number): void;
  /** A new assignment: forget every partition's lag (each owned one reports again). */
  consumerLagReset(): void;
  offsetCommitted(topic: string, partition: number): void;
  /** One identity look-up: answered from the cache, by Braze (found / not found), by another op's request, or failed. */
  identityLookup(outcome: 'cache_hit' | 'found' | 'not_found' | 'coalesced' | 'error'): void;
  /** A flow ended: every step delivered, or dead-lettered. */
  flowEnded(flow: string, outcome: 'completed' | 'dead_lettered'): void;
  /** Records acknowledged by Kafka on a topic tributary owns (by its key under `topics`). */
  handedOff(topicKey: string, records: number): void;
}

export const NOOP_OBSERVER: PipelineObserver = {
  recordsReceived() {},
  recordsMapped() {},
  recordSkipped() {},
  recordDeadLettered() {},
  recordDelivered() {},
  brazeRequest() {},
  brazeRetry() {},
  rateLimitWait() {},
  opsInFlight() {},
  requestConcurrency() {},
  consumerLag() {},
  consumerLagReset() {},
  offsetCommitted() {},
  identityLookup() {},
  flowEnded() {},
  handedOff() {},
};

/** Time, injected so the pipeline can be driven by a fake clock in tests (the real one: src/adapters/system-clock.ts). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): { cancel(): void };
}

/** Minimal structured logger the pipeline writes to (pino in production). Never given personal data. */
export interface PipelineLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

/** One record for a topic tributary owns, named by its key under `topics` in the configuration. */
export interface ProducedRecord {
  readonly topicKey: string;
  readonly key: string;
  readonly value: Readonly<Record<string, unknown>>;
  /** A field of `value` the producer sets to the moment of sending (epoch ms). */
  readonly stampField?: string;
}

/**
 * Writes records to the topics tributary owns (hand-offs and partner decisions), encoded as each topic's
 * contract says; resolves once Kafka acknowledged them from all in-sync replicas. Rejects with
 * `retryable: false` for what a retry cannot fix (a record too large), else with a retryable error.
 */
export interface RecordProducer {
  send(records: readonly ProducedRecord[]): Promise<void>;
}
