import { backoffMs, type RetryPolicy } from '../core/retry-policy.js';
import { IdentityCache, type IdentityCacheOptions } from '../core/identity-cache.js';
import type { FlowStep, MapResult, Op, OpAnswer } from '../core/ops.js';
import type {
  BrazeTransport, Clock, PartnerTransport, DeadLetter, DeadLetterWriter, DecodeResult, OffsetCommitter, PipelineLog, PipelineObserver,
  RawRecord, RecordDecoder, RecordProducer, TopicPartitionOffset,
} from '../core/ports.js';
import type { TrackBatchPolicy } from '../core/track-batch.js';
import { usersTrackSink } from '../core/sinks/users-track.js';
import { identityResolverSink } from '../core/sinks/users-export-ids.js';
import { subscriptionStatusGetSink, subscriptionStatusSetSink } from '../core/sinks/subscription-status.js';
import { kafkaHandOffSink } from '../core/sinks/kafka-hand-off.js';
import { timerSink } from '../core/sinks/timer.js';
import { MOVABLE_INK_ENDPOINT, movableInkSink, type MovableInkSinkOptions } from '../core/sinks/movable-ink.js';
import type { MovableInkContinuity } from '../core/movable-ink-continuity.js';
import { QUIKLY_WEBHOOK_ENDPOINT, quiklyWebhookSink, type QuiklyWebhookSinkOptions } from '../core/sinks/quikly-webhook.js';
import { DeadLetterQueue } from './dead-letter-queue.js';
import { PartitionOffsets } from './partition-offsets.js';
import { SinkRunner, type ConfigProblem, type OpOutcome } from './sink-runner.js';

export type { PipelineLog } from '../core/ports.js';

/** How one input topic's records are mapped: the partner it belongs to and its pure, total mapper. */
export interface TopicHandler {
  readonly partner: string;
  readonly map: (value: unknown) => MapResult;
}

interface Rate {
  readonly limit: number;
  readonly windowMs: number;
}

/** Everything the Braze sinks need. */
export interface BrazeSinksOptions {
  readonly transport: BrazeTransport;
  readonly track: TrackBatchPolicy;
  readonly retry: RetryPolicy;
  /** Budgets per endpoint group, for the whole workspace; this instance uses `rateShare` of each. */
  readonly rates: { readonly track: Rate; readonly exportIds: Rate; readonly subscriptionGet: Rate; readonly subscriptionSet: Rate };
  readonly rateShare: number;
  /** Requests in flight at once, per sink. */
  readonly maxConcurrentRequests: number;
  readonly identity: IdentityCacheOptions;
  /** How long a partly filled subscription batch waits for more ops. */
  readonly subscriptionLingerMs?: number;
  /** How long to wait before probing again after Braze said the configuration is wrong (401/403/404). */
  readonly configRetryMs?: number;
  /**
   * How long a request whose outcome is unknown may still land at Braze: a timed-out request's ops are resent
   * only after it, and records of a partition this member just took over wait it out before their first send
   * (the previous owner's requests may still be landing).
   */
  readonly ambiguityWindowMs?: number;
}

/** One outbound partner's sink: where and how to send, and the resources it may use. */
export interface PartnerSinkOptions<O> {
  readonly options: O;
  readonly rate: Rate;
  readonly maxConcurrentRequests: number;
}

/** The sinks of the outbound direction (Braze -> partners); a partner left out has no sink. */
export interface PartnerSinksOptions {
  readonly transport: PartnerTransport;
  readonly movableInk?: PartnerSinkOptions<MovableInkSinkOptions> & { readonly continuity?: MovableInkContinuity };
  readonly quiklyWebhook?: PartnerSinkOptions<QuiklyWebhookSinkOptions>;
}

export interface PipelineEngineOptions {
  /** Input topic name -> how its records are mapped. */
  readonly topics: ReadonlyMap<string, TopicHandler>;
  readonly decoder: RecordDecoder;
  readonly deadLetters: DeadLetterWriter;
  /** Writes hand-offs and partner decisions to the topics tributary owns. */
  readonly producer?: RecordProducer;
  readonly committer: OffsetCommitter;
  readonly braze: BrazeSinksOptions;
  readonly partners?: PartnerSinksOptions;
  /** Fetching waits while this many ops are queued or in flight, waiting flows included (bounded memory). */
  readonly maxInFlightOps: number;
  readonly commitIntervalMs: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly observer: PipelineObserver;
  readonly log: PipelineLog;
  /** How often a blocked batch handler heartbeats while it waits for capacity. */
  readonly heartbeatEveryMs?: number;
  readonly onConfigProblem?: (problem: ConfigProblem | null) => void;
  /** A Braze endpoint started failing for a while (false), or answers again (true). */
  readonly onAvailability?: (endpoint: string, available: boolean) => void;
}

/** A flow in progress: the step whose ops are out, and their answers so far. */
interface FlowRun {
  readonly name: string;
  step: Extract<FlowStep, { type: 'ops' }>;
  answers: OpAnswer[];
}

/** Everything known about one record while its ops are in flight. */
interface RecordTicket {
  readonly record: RawRecord;
  readonly partner: string;
  readonly generation: number;
  /** Ops of the current step not finished yet. */
  remaining: number;
  failure: { code: string; detail: string; brazeErrorType?: string } | null;
  flow: FlowRun | null;
  /** Set while a flow's `otherwise` step runs: the record is dead-lettered with this once it ends. */
  failedWith: { code: string; detail: string; brazeErrorType?: string } | null;
  /** Kinds of the ops that were delivered, in order (null: none yet), and how many ops there were: for a partial dead letter. */
  delivered: string[] | null;
  opsTotal: number;
}

/** The callbacks a Kafka adapter hands over with each fetched batch. */
export interface BatchControl {
  /** Tells the consumer a record was taken in (fetching moves past it; committing is the engine's business). */
  resolveOffset(offset: string): void;
  heartbeat(): Promise<void>;
  /** False once the batch is stale (rebalance) or the consumer is stopping. */
  isActive(): boolean;
}

/** Records taken in from one fetched batch before the handler lets other work (answers, timers) run. */
const RECORDS_PER_TURN = 500;

function isPromise<V>(value: V | Promise<V>): value is Promise<V> {
  return typeof (value as Promise<V> | null)?.then === 'function';
}

/** Resolves on the next turn of the event loop, after pending I/O callbacks. */
function yieldTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** At shutdown, how long a dead-letter write already under way may still finish before the final commit. */
const LETTER_WRITE_GRACE_MS = 5000;

/** Sinks that are not Braze's have no rate budget. */
const UNLIMITED = { limit: Number.MAX_SAFE_INTEGER, windowMs: 1000 };

const DECODE_RETRY: RetryPolicy = { maxAttempts: Number.MAX_SAFE_INTEGER, baseMs: 200, maxMs: 10_000 };

/**
 * decode -> map -> schedule -> batch -> send -> ack -> commit, for one consumer-group member. The
 * orchestrator: records become tickets, their ops or flows go to the sink runner, finished tickets move
 * their partition's watermark, and offsets are committed only up to the first record not done.
 */
export class PipelineEngine {
  readonly sinks: SinkRunner<RecordTicket>;
  private readonly identity: ReturnType<typeof identityResolverSink>;
  private readonly letters: DeadLetterQueue<RecordTicket>;
  private readonly offsets = new PartitionOffsets();
  /** Partitions read in the current and the previous generation, and until when a taken-over one waits. */
  private readPartitions = new Set<string>();
  private previouslyRead = new Set<string>();
  private readonly holdUntil = new Map<string, number>();
  private assignedAtMs = 0;
  /** The consumer-group generation this member works in; work of older ones is dropped. */
  private generation = 0;
  /** Per partition whose records wait for their schemas: why. */
  private readonly decodeProblems = new Map<string, { code: string; message: string }>();
  /** Per partition read in this generation: the log end last fetched and the offset last committed (the lag is their difference). */
  private lag = new Map<string, { topic: string; partition: number; logEnd?: bigint; committed?: bigint }>();
  private commitTimer: { cancel(): void } | null = null;
  private committing: Promise<void> | null = null;
  private stopping = false;

  constructor(private readonly options: PipelineEngineOptions) {
    const { braze, observer, log } = options;
    this.identity = identityResolverSink(new IdentityCache(braze.identity), (outcome) => observer.identityLookup(outcome));
    const linger = braze.subscriptionLingerMs ?? braze.track.lingerMs;
    this.sinks = new SinkRunner<RecordTicket>({
      transport: braze.transport,
      retry: braze.retry,
      rateShare: braze.rateShare,
      ...(braze.configRetryMs === undefined ? {} : { configRetryMs: braze.configRetryMs }),
      sinks: [
        { policy: usersTrackSink(braze.track), rate: braze.rates.track, maxConcurrentRequests: braze.maxConcurrentRequests },
        { policy: this.identity, rate: braze.rates.exportIds, maxConcurrentRequests: braze.maxConcurrentRequests },
        { policy: subscriptionStatusGetSink(linger), rate: braze.rates.subscriptionGet, maxConcurrentRequests: braze.maxConcurrentRequests },
        { policy: subscriptionStatusSetSink(linger), rate: braze.rates.subscriptionSet, maxConcurrentRequests: braze.maxConcurrentRequests },
        { policy: kafkaHandOffSink(linger), rate: UNLIMITED, maxConcurrentRequests: 4, retryForever: true },
        { policy: timerSink(), rate: UNLIMITED, maxConcurrentRequests: Number.MAX_SAFE_INTEGER },
        // Partner calls are retried for as long as the partner is down: the events wait in Kafka, uncommitted.
        ...(options.partners?.movableInk
          ? [{ policy: movableInkSink(options.partners.movableInk.options, options.partners.movableInk.continuity ?? null), rate: options.partners.movableInk.rate, maxConcurrentRequests: options.partners.movableInk.maxConcurrentRequests, retryForever: true }]
          : []),
        ...(options.partners?.quiklyWebhook
          ? [{ policy: quiklyWebhookSink(options.partners.quiklyWebhook.options), rate: options.partners.quiklyWebhook.rate, maxConcurrentRequests: options.partners.quiklyWebhook.maxConcurrentRequests, retryForever: true }]
          : []),
      ],
      ...(options.producer ? { producer: options.producer } : {}),
      ...(options.partners ? { partnerTransport: options.partners.transport } : {}),
      clock: options.clock,
      random: options.random,
      observer,
      isCurrent: (ticket) => ticket.generation === this.generation,
      onOutcome: (ticket, op, outcome) => this.onOpOutcome(ticket, op, outcome),
      onError: (err) => log.error({ err: (err as Error).message }, 'unexpected error while handling a Braze response'),
      ...(braze.ambiguityWindowMs === undefined ? {} : { ambiguityWindowMs: braze.ambiguityWindowMs }),
      onAvailability: (endpoint, available) => {
        if (available) log.info({ endpoint }, 'Braze answers again; delivery resumed');
        else log.warn({ endpoint }, 'Braze is not answering (5xx or network errors); records wait and are retried, nothing is dead-lettered');
        options.onAvailability?.(endpoint, available);
      },
      onConfigProblem: (problem) => {
        if (problem && (problem.endpoint === MOVABLE_INK_ENDPOINT || problem.endpoint === QUIKLY_WEBHOOK_ENDPOINT)) {
          log.error({ endpoint: problem.endpoint, status: problem.status }, 'a partner rejected the credentials or the URL; delivery is paused and nothing is dead-lettered');
        } else if (problem) log.error({ endpoint: problem.endpoint, status: problem.status, brazeMessage: problem.message }, 'Braze rejected the configuration (API key, permissions or REST endpoint); delivery is paused and nothing is dead-lettered');
        else log.info({}, 'Braze accepts requests again; delivery resumed');
        options.onConfigProblem?.(problem);
      },
    });
    this.letters = new DeadLetterQueue<RecordTicket>({
      writer: options.deadLetters,
      clock: options.clock,
      random: options.random,
      log,
      onWritten: (ticket, letter) => {
        observer.recordDeadLettered(ticket.partner, letter.code);
        this.recordDone(ticket);
      },
    });
    this.scheduleCommit();
  }

  /** Ops queued or in flight. */
  get opsInFlight(): number {
    return this.sinks.size;
  }

  /** Set while records wait because their schemas cannot be fetched (registry down, credentials refused). */
  get decodeProblem(): { code: string; message: string } | null {
    for (const problem of this.decodeProblems.values()) return problem;
    return null;
  }

  /** A new group generation: everything not committed will be fetched again, so queued work of the old one is dropped. */
  onAssignment(): void {
    this.generation++;
    this.previouslyRead = this.readPartitions;
    this.readPartitions = new Set();
    this.holdUntil.clear();
    this.decodeProblems.clear();
    this.assignedAtMs = this.options.clock.now();
    const current = this.generation;
    this.sinks.dropQueued((t) => t.generation < current);
    this.sinks.abandonStale();
    this.offsets.reset();
    // Partitions this member no longer owns must not keep reporting a lag; the owned ones report again on their next batch.
    this.lag = new Map();
    this.options.observer.consumerLagReset();
  }

  /** Takes in one fetched batch of a partition, in offset order. Returns once every record is handed to a sink or finished. */
  async handleBatch(topic: string, partition: number, messages: readonly RawRecord[], control: BatchControl, highWatermark?: string): Promise<void> {
    const handler = this.options.topics.get(topic);
    const generation = this.generation;
    const wm = this.offsets.of(topic, partition);
    this.takeOver(topic, partition);
    const partner = handler?.partner ?? 'unknown';
    if (highWatermark !== undefined && messages.length > 0) this.reportLag(topic, partition, { logEnd: BigInt(highWatermark), firstFetched: BigInt(messages[0]!.offset) });
    // Counted per batch, and offsets resolved before a wait for capacity, a yield or the return: the consumer
    // needs them only then.
    const counts = { received: 0, mapped: 0, ops: 0 };
    let taken: string | null = null;
    const flush = () => {
      if (taken !== null) control.resolveOffset(taken);
      taken = null;
      if (counts.received > 0) this.options.observer.recordsReceived(partner, topic, counts.received);
      if (counts.mapped > 0) this.options.observer.recordsMapped(partner, counts.mapped, counts.ops);
      counts.received = counts.mapped = counts.ops = 0;
    };
    // A rebalance or a stop is only noticed across a wait; between waits the state cannot change.
    const gone = () => this.stopping || generation !== this.generation || !control.isActive();
    if (gone()) return;
    let sinceYield = 0;
    try {
      for (const record of messages) {
        if (this.sinks.size + this.letters.size >= this.options.maxInFlightOps) {
          flush();
          await this.waitForCapacity(control);
          if (gone()) return;
        } else if (++sinceYield >= RECORDS_PER_TURN) {
          // Let answers and timers in: a long fetched batch must not hold the event loop.
          sinceYield = 0;
          flush();
          await yieldTurn();
          if (gone()) return;
        }
        wm.track(record.offset);
        counts.received++;
        const ticket: RecordTicket = { record, partner, generation, remaining: 0, failure: null, flow: null, failedWith: null, delivered: null, opsTotal: 0 };
        if (!handler) {
          this.deadLetter(ticket, 'unknown_topic', `no mapper is configured for topic ${topic}`);
        } else {
          // A cached schema decodes at once: a run of records is then mapped and queued in one synchronous pass.
          const first = this.decodeOnce(record);
          let decoded: DecodeResult | null;
          if (isPromise(first)) {
            flush();
            decoded = await this.decodeWithRetry(record, control, first);
            // Stopping, or a new generation began while decoding: the record is fetched again later.
            if (decoded === null || gone()) return;
          } else {
            this.decodeSucceeded(record);
            decoded = first;
          }
          if (!decoded.ok) this.deadLetter(ticket, decoded.code, decoded.detail);
          else {
            const ops = this.dispatch(ticket, handler, decoded.value);
            if (ops >= 0) {
              counts.mapped++;
              counts.ops += ops;
            }
          }
        }
        taken = record.offset;
      }
    } finally {
      flush();
    }
  }

  /** One decode attempt: the result at once when the decoder has the schema cached, else its promise (a throw becomes a rejection). */
  private decodeOnce(record: RawRecord): DecodeResult | Promise<DecodeResult> {
    try {
      return this.options.decoder.decode(record);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** The record's partition no longer waits for its schema. */
  private decodeSucceeded(record: RawRecord): void {
    if (this.decodeProblems.size > 0) this.decodeProblems.delete(record.topic + '\u0000' + record.partition);
  }

  /**
   * The lag as kafka-consumer-groups.sh reports it: log end minus committed offset. Until this member commits a
   * partition, its first fetch of the generation stands for the committed offset (the group resumes there).
   */
  private reportLag(topic: string, partition: number, seen: { logEnd?: bigint; committed?: bigint; firstFetched?: bigint }): void {
    const key = `${topic}\u0000${partition}`;
    let entry = this.lag.get(key);
    if (!entry) this.lag.set(key, (entry = { topic, partition }));
    if (seen.logEnd !== undefined) entry.logEnd = seen.logEnd;
    if (seen.committed !== undefined) entry.committed = seen.committed;
    else if (entry.committed === undefined && seen.firstFetched !== undefined) entry.committed = seen.firstFetched;
    if (entry.logEnd !== undefined && entry.committed !== undefined) {
      this.options.observer.consumerLag(topic, partition, Number(entry.logEnd - entry.committed));
    }
  }

  /**
   * A partition this member did not read in the previous generation was someone else's, whose requests may
   * still be landing at Braze: its records wait out the ambiguity window, counted from the assignment.
   */
  private takeOver(topic: string, partition: number): number {
    const key = topic + '\u0000' + partition;
    if (!this.readPartitions.has(key)) {
      this.readPartitions.add(key);
      const window = this.options.braze.ambiguityWindowMs ?? 0;
      if (window > 0 && !this.previouslyRead.has(key)) this.holdUntil.set(key, this.assignedAtMs + window);
    }
    return this.holdUntil.get(key) ?? 0;
  }

  /** Until when a record's partition waits after being taken over (0: it does not); no lookup when none waits. */
  private heldUntil(record: RawRecord): number {
    if (this.holdUntil.size === 0) return 0;
    return this.holdUntil.get(record.topic + '\u0000' + record.partition) ?? 0;
  }

  /** Maps the record and queues its ops or flow. Returns how many ops it mapped to (counted as mapped), or -1. */
  private dispatch(ticket: RecordTicket, handler: TopicHandler, value: unknown): number {
    let result: MapResult;
    try {
      result = handler.map(value);
    } catch (err) {
      // Mappers are total; reaching this is a bug, but the record must still not stop the pipeline.
      this.deadLetter(ticket, 'mapper_error', `the ${ticket.partner} mapper failed: ${(err as Error).name}`);
      return -1;
    }
    switch (result.type) {
      case 'skip':
        this.options.observer.recordSkipped(ticket.partner, result.reason);
        this.recordDone(ticket);
        return -1;
      case 'invalid':
        this.deadLetter(ticket, result.code, result.detail);
        return -1;
      case 'ops': {
        const ops = result.ops;
        if (!this.checkKinds(ticket, ops)) return ops.length;
        if (ops.length === 0) {
          this.recordDone(ticket);
          return 0;
        }
        ticket.remaining = ops.length;
        const notBefore = this.heldUntil(ticket.record);
        for (const op of ops) this.sinks.push(op, ticket, undefined, notBefore);
        return ops.length;
      }
      case 'flow': {
        const { flow } = result;
        const step = this.settleStep(ticket, flow.name, flow.start);
        if (step === null) return -1;
        ticket.flow = { name: flow.name, step, answers: [] };
        ticket.remaining = step.ops.length;
        const notBefore = this.heldUntil(ticket.record);
        for (const op of step.ops) this.sinks.push(op, ticket, flow.key, notBefore);
        return step.ops.length;
      }
    }
  }

  /**
   * Follows a flow past steps that need nothing from Braze. Returns the next step with ops to send, or null
   * when the flow ended here (done: the record is finished; invalid: it is dead-lettered).
   */
  private settleStep(ticket: RecordTicket, name: string, first: FlowStep): Extract<FlowStep, { type: 'ops' }> | null {
    let step = first;
    for (;;) {
      if (step.type === 'done') {
        this.finishFlow(ticket, name);
        return null;
      }
      if (step.type === 'invalid') {
        this.options.observer.flowEnded(name, 'dead_lettered');
        this.deadLetter(ticket, step.code, step.detail);
        return null;
      }
      if (!this.checkKinds(ticket, step.ops)) return null;
      if (step.ops.length > 0) return step;
      const then = step.then;
      if (!then) {
        this.finishFlow(ticket, name);
        return null;
      }
      const next = this.advance(ticket, name, () => then([]));
      if (next === null) return null;
      step = next;
    }
  }

  /** Runs a flow's transition and makes its result the current step; returns the ops to send next, if any. */
  private nextStep(ticket: RecordTicket, run: FlowRun, transition: () => FlowStep): readonly Op[] | void {
    const next = this.advance(ticket, run.name, transition);
    const step = next === null ? null : this.settleStep(ticket, run.name, next);
    if (step === null) return;
    run.step = step;
    run.answers = [];
    ticket.remaining = step.ops.length;
    return step.ops;
  }

  /** A flow ended without a failed op: the record is done, or dead-lettered if an `otherwise` step was running. */
  private finishFlow(ticket: RecordTicket, name: string): void {
    const failed = ticket.failedWith;
    if (failed) {
      this.options.observer.flowEnded(name, 'dead_lettered');
      this.deadLetter(ticket, failed.code, failed.detail, failed.brazeErrorType);
      return;
    }
    this.options.observer.flowEnded(name, 'completed');
    this.options.observer.recordDelivered(ticket.partner, this.options.clock.now() - ticket.record.timestampMs);
    this.recordDone(ticket);
  }

  /** Runs a flow's transition; a transition that throws is a bug, and the record is dead-lettered. */
  private advance(ticket: RecordTicket, name: string, transition: () => FlowStep): FlowStep | null {
    try {
      return transition();
    } catch (err) {
      this.options.observer.flowEnded(name, 'dead_lettered');
      this.deadLetter(ticket, 'mapper_error', `the ${name} flow failed: ${(err as Error).name}`);
      return null;
    }
  }

  private checkKinds(ticket: RecordTicket, list: readonly Op[]): boolean {
    const unknown = list.find((op) => !this.sinks.delivers(op.kind));
    if (unknown === undefined) return true;
    this.deadLetter(ticket, 'mapper_error', `the ${ticket.partner} mapper produced a ${unknown.kind} op, which no sink delivers`);
    return false;
  }

  /** One op finished. Returns the ops that continue the record's flow, if its step is complete. */
  private onOpOutcome(ticket: RecordTicket, op: Op, outcome: OpOutcome): readonly Op[] | void {
    ticket.opsTotal++;
    // Kept only while the record may still end as a dead letter: not for the last op of a record that met no failure.
    if (outcome.delivered && (ticket.remaining > 1 || ticket.failure !== null || ticket.flow !== null)) {
      (ticket.delivered ??= []).push(op.kind);
    }
    if (!outcome.delivered && !ticket.failure) {
      ticket.failure = { code: outcome.code, detail: outcome.detail, ...(outcome.brazeErrorType ? { brazeErrorType: outcome.brazeErrorType } : {}) };
    }
    const run = ticket.flow;
    if (run && outcome.delivered) {
      const at = run.step.ops.indexOf(op);
      if (at >= 0) run.answers[at] = outcome.answer;
    }
    if (--ticket.remaining > 0) return;
    if (ticket.failure) {
      const failure = ticket.failure;
      const otherwise = run?.step.otherwise;
      if (run && otherwise && !ticket.failedWith) {
        // The flow's last word before the record is dead-lettered (for example a failed decision for the partner).
        ticket.failedWith = failure;
        ticket.failure = null;
        return this.nextStep(ticket, run, () => otherwise({ code: failure.code, detail: failure.detail }));
      }
      if (run) this.options.observer.flowEnded(run.name, 'dead_lettered');
      const first = ticket.failedWith ?? failure;
      this.deadLetter(ticket, first.code, first.detail, first.brazeErrorType);
      return;
    }
    if (run) {
      const { step, answers } = run;
      if (step.establishes) this.identity.remember(step.establishes.email, step.establishes.user, this.options.clock.now());
      if (step.then) {
        const then = step.then;
        return this.nextStep(ticket, run, () => then(answers));
      }
      this.finishFlow(ticket, run.name);
      return;
    }
    this.options.observer.recordDelivered(ticket.partner, this.options.clock.now() - ticket.record.timestampMs);
    this.recordDone(ticket);
  }

  /** Awaits `first` (the first attempt), then decodes again after a backoff for as long as the failure is retryable. */
  private async decodeWithRetry(record: RawRecord, control: BatchControl, first: Promise<DecodeResult>): Promise<DecodeResult | null> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await (attempt === 1 ? first : this.decodeOnce(record));
        this.decodeSucceeded(record);
        return result;
      } catch (err) {
        const e = err as { retryable?: boolean; code?: string; message?: string };
        if (!e.retryable) {
          return { ok: false as const, code: e.code ?? 'decode_failed', detail: e.message ?? 'the value could not be decoded' };
        }
        this.decodeProblems.set(record.topic + '\u0000' + record.partition, { code: e.code ?? 'decode_retry', message: e.message ?? 'decoding must wait' });
        this.options.log.warn({ code: e.code, attempt }, `cannot decode yet, retrying: ${e.message}`);
        await sleep(this.options.clock, backoffMs(attempt, DECODE_RETRY, this.options.random));
        if (this.stopping || !control.isActive()) {
          this.decodeProblems.delete(record.topic + '\u0000' + record.partition);
          return null;
        }
        await control.heartbeat();
      }
    }
  }

  private async waitForCapacity(control: BatchControl): Promise<void> {
    const every = this.options.heartbeatEveryMs ?? 1000;
    const max = this.options.maxInFlightOps;
    while (this.sinks.size + this.letters.size >= max && !this.stopping && control.isActive()) {
      await this.sinks.waitForCapacity(max - this.letters.size, every);
      await control.heartbeat();
    }
  }

  private deadLetter(ticket: RecordTicket, code: string, detail: string, brazeErrorType?: string): void {
    const done = ticket.delivered;
    const delivered = done !== null && done.length > 0 ? `${done.length} of ${ticket.opsTotal} ops delivered: ${done.join(', ')}` : null;
    const letter: DeadLetter = {
      record: ticket.record,
      code,
      detail,
      failedAtMs: this.options.clock.now(),
      ...(brazeErrorType ? { brazeErrorType } : {}),
      ...(delivered ? { delivered } : {}),
    };
    this.letters.add(ticket, letter);
  }

  private recordDone(ticket: RecordTicket): void {
    if (ticket.generation !== this.generation) return; // a previous generation's record: fetched again, and committed by whoever owns it now
    this.offsets.done(ticket.record.topic, ticket.record.partition, ticket.record.offset);
  }

  /** Offsets that may be committed now (only partitions this member read in the current generation). */
  committable(): TopicPartitionOffset[] {
    return this.offsets.committable();
  }

  /** Commits what is done. Safe to call at any time; concurrent calls share one commit. */
  commitNow(): Promise<void> {
    if (this.committing) return this.committing;
    const generation = this.generation;
    const offsets = this.committable();
    if (offsets.length === 0) return Promise.resolve();
    this.committing = this.options.committer
      .commit(offsets)
      .then(
        () => {
          if (generation !== this.generation) return;
          for (const o of offsets) {
            this.offsets.markCommitted(o);
            this.options.observer.offsetCommitted(o.topic, o.partition);
            this.reportLag(o.topic, o.partition, { committed: BigInt(o.offset) });
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
        const halted = this.sinks.configProblem !== null;
        if (!halted) await this.sinks.drain();
        await this.letters.settled();
        return !halted;
      })(),
      sleep(this.options.clock, deadlineMs).then(() => false),
    ]);
    // Letters still unwritten stay pending: their records are not committed and will be read again. A write
    // already on its way is waited for (briefly), so a letter Kafka has is committed and not written twice.
    this.letters.stop();
    await Promise.race([this.letters.settled(), sleep(this.options.clock, LETTER_WRITE_GRACE_MS)]);
    if (this.committing) await this.committing;
    await this.commitNow();
    this.sinks.close();
    return { drained };
  }
}

function sleep(clock: Clock, ms: number): Promise<void> {
  return new Promise((resolve) => clock.setTimeout(resolve, ms));
}
