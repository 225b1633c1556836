/**
 * Shapes the pipeline and the adapters exchange. Types only: adapters implement them with real I/O,
 * tests with fakes, and the pipeline depends on nothing else.
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
  post(path: string, body: unknown, signal?: AbortSignal): Promise<BrazeHttpResponse>;
}

/** A Kafka record as the pipeline sees it: coordinates, original bytes and headers, before decoding. */
export interface DecodedRecord {
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
  readonly record: DecodedRecord;
  /** Stable, machine-readable reason. */
  readonly code: string;
  /** Human-readable, free of personal data. */
  readonly detail: string;
  /** Braze's error type when Braze rejected the data. */
  readonly brazeErrorType?: string;
  readonly failedAtMs: number;
  /** Set when the original value could not be written to the dead-letter topic (e.g. too large) and was left out. */
  readonly valueDropped?: string;
}
