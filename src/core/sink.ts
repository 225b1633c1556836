import type { BrazeHttpResponse, ProducedRecord } from './ports.js';
import type { Op, OpAnswer } from './ops.js';
import { brazeMessageOf } from './track-response.js';

/**
 * The sink port. A sink is one destination endpoint; it supplies only its policy: how ops batch, how a
 * request is built and how each answer is read per item. Everything every destination shares (per-user
 * scheduling, concurrency, the rate budget, retries, the configuration probe, abandoning an old
 * generation's work) lives in the generic runner (src/pipeline/sink-runner.ts).
 */

/** Why a batch was sent. Batches report count, bytes and linger; the runner adds drain and split. */
export type FlushReason = 'count' | 'bytes' | 'linger' | 'drain' | 'split';

/** One HTTP request as a sink builds it. */
export type SinkRequest =
  /** `json`, when set, is JSON.stringify(body), built along with the batch so the body is serialized once. */
  | { readonly method: 'POST'; readonly path: string; readonly body: unknown; readonly json?: string }
  | { readonly method: 'GET'; readonly path: string; readonly query: Readonly<Record<string, string | readonly string[]>> }
  /**
   * A call to a partner's API (not Braze's), through the {@link PartnerTransport} port: an absolute URL and the
   * partner's own headers (credentials included; the transport never logs them or the body).
   */
  | { readonly method: 'HTTP'; readonly url: string; readonly headers: Readonly<Record<string, string>>; readonly body: unknown }
  /** Records for topics tributary owns, through the {@link RecordProducer} port. */
  | { readonly method: 'PRODUCE'; readonly records: readonly ProducedRecord[] }
  /** No request: the answer comes when the clock reaches `untilMs`. */
  | { readonly method: 'WAIT'; readonly untilMs: number };

/** How one op ended in one answered request. */
export type ItemResult =
  | { readonly kind: 'delivered'; readonly answer?: OpAnswer }
  /** The data is refused: dead-lettered with this stable code. */
  | { readonly kind: 'rejected'; readonly code: string; readonly detail: string; readonly brazeErrorType?: string };

/** How a whole answered request is to be read. */
export type Verdict<R> =
  /** 2xx: every item has a result. */
  | { readonly kind: 'answered'; readonly resultOf: (ref: R) => ItemResult }
  /** 429, 5xx, 408: send the same ops again later. */
  | { readonly kind: 'retry'; readonly reason: 'rate-limited' | 'server-error'; readonly status: number }
  /** Other 4xx: some data is refused; the runner isolates it by splitting the batch. */
  | { readonly kind: 'reject'; readonly status: number; readonly message: string }
  /** 401, 403, 404, 3xx: the key, its permissions or the endpoint is wrong. Nothing is dead-lettered. */
  | { readonly kind: 'config'; readonly status: number; readonly message: string };

/** A request built from a batch, with the refs it carries and the reading of its answer. */
export interface BuiltRequest<R> {
  readonly request: SinkRequest;
  /** Every ref in the request, in offer order. */
  readonly refs: readonly R[];
  /** Objects (or ids) in the request, for metrics. */
  readonly objects: number;
  read(response: BrazeHttpResponse): Verdict<R>;
}

/** The answer to one offer. */
export type BatchOffer = 'accept' | 'reject-key' | 'full';

/** One request under construction. */
export interface SinkBatch<O extends Op, R> {
  readonly openedAtMs: number;
  /** When a partly filled batch stops waiting for more ops. */
  readonly lingerUntilMs: number;
  /** Ops accepted. */
  readonly opCount: number;
  /**
   * 'accept': added (possibly merged). 'reject-key': the op cannot join this batch without breaking its user's
   * order or the merge rules; it waits for a later batch. 'full': no room.
   */
  offer(op: O, ref: R): BatchOffer;
  isEmpty(): boolean;
  /** Why this batch should be sent now, or null while it may wait for more ops. */
  flushReason(now: number): FlushReason | null;
  build(): BuiltRequest<R>;
}

/** What a sink supplies. `O` is the op type it delivers. */
export interface SinkPolicy<O extends Op> {
  /** The endpoint, as metrics label it (e.g. `/users/track`). */
  readonly endpoint: string;
  /** The op kinds this sink delivers. */
  readonly kinds: readonly O['kind'][];
  newBatch<R>(now: number): SinkBatch<O, R>;
  /**
   * Answers an op without a request when it can (a cached look-up). Called when the op's turn comes, so the
   * answer reflects everything delivered before it.
   */
  answerLocally?(op: O, now: number): OpAnswer | null;
  /** Ops with equal coalescing keys that are due at the same time share one request's answer. */
  coalesceKeyOf?(op: O): string | null;
  /** Told of every delivered op (to fill a cache). */
  onDelivered?(op: O, answer: OpAnswer, now: number): void;
  /** Told when an op shared another op's request instead of sending its own. */
  onCoalesced?(op: O): void;
  /** Told when an op is dead-lettered. */
  onFailed?(op: O): void;
}

/** Shared reading of an HTTP status, for sinks whose 2xx answers carry no per-item detail. */
export function verdictOfStatus<R>(status: number, body: unknown, onSuccess: () => Verdict<R>): Verdict<R> {
  if (status >= 200 && status < 300) return onSuccess();
  const message = () => brazeMessageOf(status, body);
  if (status === 429) return { kind: 'retry', reason: 'rate-limited', status };
  if ((status >= 500 && status < 600) || status === 408) return { kind: 'retry', reason: 'server-error', status };
  if (status === 401 || status === 403 || status === 404) return { kind: 'config', status, message: message() };
  if (status >= 400 && status < 500) return { kind: 'reject', status, message: message() };
  if (status >= 300 && status < 400) return { kind: 'config', status, message: message() };
  return { kind: 'retry', reason: 'server-error', status };
}

/** A batch that holds one op: for endpoints that take one value per request, or steps that stand alone. */
export abstract class SingleOpBatch<O extends Op, R> implements SinkBatch<O, R> {
  protected op: O | null = null;
  protected ref: R | null = null;
  readonly lingerUntilMs: number;

  constructor(readonly openedAtMs: number) {
    this.lingerUntilMs = openedAtMs;
  }

  get opCount(): number {
    return this.op === null ? 0 : 1;
  }

  offer(op: O, ref: R): BatchOffer {
    if (this.op !== null) return 'full';
    this.op = op;
    this.ref = ref;
    return 'accept';
  }

  isEmpty(): boolean {
    return this.op === null;
  }

  flushReason(): FlushReason | null {
    return this.op === null ? null : 'count';
  }

  abstract build(): BuiltRequest<R>;
}
