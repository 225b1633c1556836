import { OffsetWatermark } from '../core/offset-watermark.js';
import { backoffMs, type RetryPolicy } from '../core/retry-policy.js';
import type { DeadLetter, DecodedRecord } from '../core/ports.js';
import type { PartnerOptions } from '../core/partner-options.js';
import type { Op } from '../core/ops.js';
import { MAPPERS, type InputTopicKind } from '../partners/index.js';
import { TrackSink, type OpOutcome, type TrackSinkOptions } from './track-sink.js';
import type { Clock, DeadLetterWriter, OffsetCommitter, PipelineObserver, RecordDecoder, TopicPartitionOffset } from './ports.js';

/** Minimal structured logger the pipeline writes to (pino in production). Never given personal data. */
export interface PipelineLog {
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
}

export interface PipelineEngineOptions {
  /** Input topic name -> the kind of records it carries. */
  readonly topics: ReadonlyMap<string, InputTopicKind>;
  readonly partnerOptions: PartnerOptions;
  readonly decoder: RecordDecoder;
  readonly deadLetters: DeadLetterWriter;
  readonly committer: OffsetCommitter;
  readonly track: Omit<TrackSinkOptions, 'onOutcome' | 'onConfigProblem' | 'onError' | 'clock' | 'random' | 'observer'>;
  /** Fetching waits while this many ops are queued or in flight (bounded memory). */
  readonly maxInFlightOps: number;
  readonly commitIntervalMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly observer: PipelineObserver;
  readonly log: PipelineLog;
  /** How often a blocked batch handler heartbeats while it waits for capacity. */
  readonly heartbeatEveryMs?: number;
  readonly onConfigProblem?: (problem: { status: number; message: string } | null) => void;
}

/** Everything known about one record while its ops are in flight. */
interface RecordTicket {
  readonly record: DecodedRecord;
  readonly partner: string;
  readonly epoch: number;
  remaining: number;
  failure: { code: string; detail: string; brazeErrorType?: string } | null;
}

/** The callbacks a Kafka adapter hands over with each fetched batch. */
export interface BatchControl {
  /** Tells the consumer a record was taken in (fetching moves past it; committing is the engine's business). */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  /** False once the batch is stale (rebalance) or the consumer is stopping. */
  isActive(): boolean;
}

const PARTITION_SEP = '\u0000';
const DLQ_RETRY: RetryPolicy = { maxAttempts: Number.MAX_SAFE_INTEGER, baseMs: 200, maxMs: 10_000 };
/** Kafka's default message.max.bytes is 1 MiB per record batch; stay well under it. */
const DLQ_MAX_BYTES = 512 * 1024;
const DLQ_MAX_LETTERS = 500;

function letterBytes(letter: DeadLetter): number {
  let n = 256 + letter.detail.length + (letter.record.key?.length ?? 0) + (letter.record.value?.length ?? 0);
  for (const [k, v] of Object.entries(letter.record.headers)) n += k.length + (v?.length ?? 0);
  return n;
}

/** The longest prefix within both limits, and at least one letter. */
function sliceByBytes<T extends { letter: DeadLetter }>(list: T[], maxLetters: number, maxBytes: number): T[] {
  let bytes = 0;
  let n = 0;
  while (n < list.length && n < maxLetters) {
    bytes += letterBytes(list[n]!.letter);
    if (n > 0 && bytes > maxBytes) break;
    n++;
  }
  return list.slice(0, n);
}

/**
 * decode -> map -> schedule -> batch -> send -> ack -> commit, for one consumer-group member.
 * Offsets are committed only up to the first record whose ops are not all delivered or dead-lettered.
 */
export class PipelineEngine {
  readonly sink: TrackSink;
  private epoch = 0;
  private watermarks = new Map<string, { topic: string; partition: number; wm: OffsetWatermark }>();
  private pendingLetters: Array<{ ticket: RecordTicket; letter: DeadLetter }> = [];
  private lettersStopped = false;
  private decodeProblemNow: { code: string; message: string } | null = null;
  private letterFlush: Promise<void> | null = null;
  private commitTimer: { cancel(): void } | null = null;
  private committing: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly options: PipelineEngineOptions) {
    this.sink = new TrackSink({
      ...options.track,
      clock: options.clock,
      random: options.random,
      observer: options.observer,
      onOutcome: (ticket, outcome) => this.onOpOutcome(ticket as RecordTicket, outcome),
      onError: (err) => options.log.error({ err: (err as Error).message }, 'unexpected error while handling a Braze response'),
      onConfigProblem: (problem) => {
        if (problem) options.log.error({ status: problem.status, brazeMessage: problem.message }, 'Braze rejected the configuration (API key, permissions or REST endpoint); delivery is paused and nothing is dead-lettered');
        else options.log.info({}, 'Braze accepts requests again; delivery resumed');
        options.onConfigProblem?.(problem);
      },
    });
    this.scheduleCommit();
  }

  /** Ops queued or in flight. */
  get opsInFlight(): number {
    return this.sink.size;
  }

  /** Set while records wait because their schemas cannot be fetched (registry down, credentials refused). */
  get decodeProblem(): { code: string; message: string } | null {
    return this.decodeProblemNow;
  }

  /** A new group generation: everything not committed will be fetched again, so queued work of the old one is dropped. */
  onAssignment(): void {
    this.epoch++;
    const current = this.epoch;
    this.sink.dropQueued((t) => (t as RecordTicket).epoch < current);
    this.sink.abandonWaiting();
    this.watermarks = new Map();
  }

  /** Takes in one fetched batch of a partition, in offset order. Returns once every record is handed to a sink or finished. */
  async handleBatch(topic: string, partition: number, messages: readonly DecodedRecord[], control: BatchControl, highWatermark?: string): Promise<void> {
    const kind = this.options.topics.get(topic);
    const epoch = this.epoch;
    const wm = this.watermarkOf(topic, partition);
    for (const record of messages) {
      if (this.stopping || epoch !== this.epoch || !control.isActive()) return;
      if (this.sink.size + this.pendingLetters.length >= this.options.maxInFlightOps) {
        await this.waitForCapacity(control);
        if (this.stopping || epoch !== this.epoch || !control.isActive()) return;
      }
      wm.track(record.offset);
      const partner = kind ? MAPPERS[kind].partner : 'unknown';
      this.options.observer.recordReceived(partner, topic);
      const ticket: RecordTicket = { record, partner, epoch, remaining: 0, failure: null };
      if (!kind) {
        this.deadLetter(ticket, 'unknown_topic', `no mapper is configured for topic ${topic}`);
      } else {
        const decoded = await this.decodeWithRetry(record, control);
        // Stopping, or a new generation began while decoding: the record is fetched again later.
        if (decoded === null || this.stopping || epoch !== this.epoch || !control.isActive()) return;
        if (!decoded.ok) this.deadLetter(ticket, decoded.code, decoded.detail);
        else this.dispatch(ticket, kind, decoded.value);
      }
      control.resolveOffset(record.offset);
    }
    if (highWatermark !== undefined && messages.length > 0) {
      const last = BigInt(messages[messages.length - 1]!.offset);
      this.options.observer.consumerLag(topic, partition, Number(BigInt(highWatermark) - last - 1n));
    }
  }

  private dispatch(ticket: RecordTicket, kind: InputTopicKind, value: unknown): void {
    let result;
    try {
      result = MAPPERS[kind].map(value, this.options.partnerOptions);
    } catch (err) {
      // Mappers are total; reaching this is a bug, but the record must still not stop the pipeline.
      this.deadLetter(ticket, 'mapper_error', `the ${ticket.partner} mapper failed: ${(err as Error).name}`);
      return;
    }
    if (result.type === 'skip') {
      this.options.observer.recordSkipped(ticket.partner, result.reason);
      this.recordDone(ticket);
      return;
    }
    if (result.type === 'invalid') {
      this.deadLetter(ticket, result.code, result.detail);
      return;
    }
    this.options.observer.recordMapped(ticket.partner, result.ops.length);
    if (result.ops.length === 0) {
      this.recordDone(ticket);
      return;
    }
    ticket.remaining = result.ops.length;
    for (const op of result.ops as readonly Op[]) this.sink.push(op, ticket);
  }

  private async decodeWithRetry(record: DecodedRecord, control: BatchControl) {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await this.options.decoder.decode(record);
        this.decodeProblemNow = null;
        return result;
      } catch (err) {
        const e = err as { retryable?: boolean; code?: string; message?: string };
        if (!e.retryable) {
          return { ok: false as const, code: e.code ?? 'decode_failed', detail: e.message ?? 'the value could not be decoded' };
        }
        this.decodeProblemNow = { code: e.code ?? 'decode_retry', message: e.message ?? 'decoding must wait' };
        this.options.log.warn({ code: e.code, attempt }, `cannot decode yet, retrying: ${e.message}`);
        await sleep(this.options.clock, backoffMs(attempt, DLQ_RETRY, this.options.random));
        if (this.stopping || !control.isActive()) return null;
        await control.heartbeat();
      }
    }
  }

  private async waitForCapacity(control: BatchControl): Promise<void> {
    const every = this.options.heartbeatEveryMs ?? 1000;
    const max = this.options.maxInFlightOps;
    while (this.sink.size + this.pendingLetters.length >= max && !this.stopping && control.isActive()) {
      await this.sink.waitForCapacity(max - this.pendingLetters.length, every);
      await control.heartbeat();
    }
  }

  private onOpOutcome(ticket: RecordTicket, outcome: OpOutcome): void {
    if (!outcome.delivered && !ticket.failure) {
      ticket.failure = { code: outcome.code, detail: outcome.detail, ...(outcome.brazeErrorType ? { brazeErrorType: outcome.brazeErrorType } : {}) };
    }
    if (--ticket.remaining > 0) return;
    if (ticket.failure) this.deadLetter(ticket, ticket.failure.code, ticket.failure.detail, ticket.failure.brazeErrorType);
    else {
      this.options.observer.recordDelivered(ticket.partner, this.options.clock.now() - ticket.record.timestampMs);
      this.recordDone(ticket);
    }
  }

  private deadLetter(ticket: RecordTicket, code: string, detail: string, brazeErrorType?: string): void {
    const letter: DeadLetter = {
      record: ticket.record,
      code,
      detail,
      failedAtMs: this.options.clock.now(),
      ...(brazeErrorType ? { brazeErrorType } : {}),
    };
    this.pendingLetters.push({ ticket, letter });
    if (!this.letterFlush) this.letterFlush = this.flushLetters();
  }

  /**
   * Writes dead letters in batches (bounded in count and bytes); a record counts as done only once its letter
   * is acknowledged. Retryable failures are retried with backoff for as long as it takes: losing a letter is
   * not an option, and its record stays uncommitted meanwhile. A batch the broker refuses outright is split
   * into single letters; a single letter it still refuses (too large, say) is written without its value,
   * with a header saying why.
   */
  private async flushLetters(): Promise<void> {
    await Promise.resolve();
    let attempt = 1;
    let singlesLeft = 0;
    while (this.pendingLetters.length > 0 && !this.lettersStopped) {
      const batch = singlesLeft > 0 ? this.pendingLetters.slice(0, 1) : sliceByBytes(this.pendingLetters, DLQ_MAX_LETTERS, DLQ_MAX_BYTES);
      try {
        await this.options.deadLetters.write(batch.map((b) => b.letter));
      } catch (err) {
        const e = err as { retryable?: boolean; message?: string };
        if (e.retryable === false && batch.length > 1) {
          singlesLeft = batch.length;
          continue;
        }
        if (e.retryable === false && batch[0]!.letter.valueDropped === undefined) {
          const only = batch[0]!;
          only.letter = { ...only.letter, record: { ...only.letter.record, value: null }, valueDropped: `the dead-letter topic refused the original value: ${e.message ?? 'error'}` };
          this.options.log.error({ code: only.letter.code }, 'a dead letter was refused by Kafka; writing it without its original value');
          continue;
        }
        this.options.log.error({ attempt, letters: batch.length, err: e.message }, 'cannot write to the dead-letter topic; retrying (offsets stay uncommitted)');
        await sleep(this.options.clock, backoffMs(attempt++, DLQ_RETRY, this.options.random));
        continue;
      }
      attempt = 1;
      if (singlesLeft > 0) singlesLeft--;
      this.pendingLetters.splice(0, batch.length);
      for (const { ticket, letter } of batch) {
        this.options.observer.recordDeadLettered(ticket.partner, letter.code);
        this.recordDone(ticket);
      }
    }
    this.letterFlush = null;
  }

  private recordDone(ticket: RecordTicket): void {
    if (ticket.epoch !== this.epoch) return; // a previous generation's record: fetched again, and committed by whoever owns it now
    const entry = this.watermarks.get(ticket.record.topic + PARTITION_SEP + ticket.record.partition);
    entry?.wm.done(ticket.record.offset);
  }

  private watermarkOf(topic: string, partition: number): OffsetWatermark {
    const key = topic + PARTITION_SEP + partition;
    let entry = this.watermarks.get(key);
    if (!entry) {
      entry = { topic, partition, wm: new OffsetWatermark() };
      this.watermarks.set(key, entry);
    }
    return entry.wm;
  }

  /** Offsets that may be committed now (only partitions this member read in the current generation). */
  committable(): TopicPartitionOffset[] {
    const out: TopicPartitionOffset[] = [];
    for (const { topic, partition, wm } of this.watermarks.values()) {
      const offset = wm.committable();
      if (offset !== null) out.push({ topic, partition, offset });
    }
    return out;
  }

  /** Commits what is done. Safe to call at any time; concurrent calls share one commit. */
  commitNow(): Promise<void> {
    if (this.committing) return this.committing;
    const epoch = this.epoch;
    const offsets = this.committable();
    if (offsets.length === 0) return Promise.resolve();
    this.committing = this.options.committer
      .commit(offsets)
      .then(
        () => {
          if (epoch !== this.epoch) return;
          for (const o of offsets) {
            this.watermarks.get(o.topic + PARTITION_SEP + o.partition)?.wm.markCommitted(o.offset);
            this.options.observer.offsetCommitted(o.topic, o.partition);
          }
        },
        (err: unknown) => {
          this.options.log.warn({ err: (err as Error).message }, 'offset commit failed; will retry');
        },
      )
      .finally(() => {
        this.committing = null;
      });
    return this.committing;
  }

  private scheduleCommit(): void {
    this.commitTimer = this.options.clock.setTimeout(() => {
      void this.commitNow().finally(() => {
        if (!this.stopping) this.scheduleCommit();
      });
    }, this.options.commitIntervalMs);
  }

  /**
   * Graceful stop: take nothing new, send what is queued, wait for in-flight requests and dead letters
   * (bounded by the deadline), then commit what is done.
   */
  async shutdown(deadlineMs: number): Promise<{ drained: boolean }> {
    this.stopping = true;
    this.commitTimer?.cancel();
    // While Braze rejects the configuration nothing can be delivered: do not wait out the deadline for it.
    const drained = await Promise.race([
      (async () => {
        const halted = this.sink.configProblem !== null;
        if (!halted) await this.sink.drain();
        while (this.letterFlush) await this.letterFlush;
        return !halted;
      })(),
      sleep(this.options.clock, deadlineMs).then(() => false),
    ]);
    // Letters still unwritten stay pending: their records are not committed and will be read again.
    this.lettersStopped = true;
    if (this.committing) await this.committing;
    await this.commitNow();
    this.sink.close();
    return { drained };
  }
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
