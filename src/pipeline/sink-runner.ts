import { KeyScheduler, type ScheduledItem } from '../core/key-scheduler.js';
import { RateBudget, parseRateLimitHeaders } from '../core/rate-budget.js';
import { backoffMs, type RetryPolicy } from '../core/retry-policy.js';
import { redactText } from '../core/redact-text.js';
import { TributaryError } from '../core/errors.js';
import { opKeyOf, type Op, type OpAnswer } from '../core/ops.js';
import type { BrazeHttpResponse, BrazeTransport, Clock, PartnerTransport, PipelineObserver, RecordProducer } from '../core/ports.js';
import type { FlushReason, ItemResult, SinkBatch, SinkPolicy, SinkRequest, Verdict } from '../core/sink.js';
import { describeTrackOp } from '../core/sinks/users-track.js';

/** How an op ended. `delivered: false` means it is dead-lettered with this reason. */
export type OpOutcome =
  | { readonly delivered: true; readonly answer?: OpAnswer }
  | { readonly delivered: false; readonly code: string; readonly detail: string; readonly brazeErrorType?: string };

/** A problem with the key, its permissions or an endpoint, as Braze reported it. */
export interface ConfigProblem {
  readonly endpoint: string;
  readonly status: number;
  readonly message: string;
}

/** One sink and the resources it may use. */
export interface SinkSetup {
  // Policies are contravariant in their op type; the runner hands each only ops of its kinds.
  readonly policy: SinkPolicy<any>;
  /** The rate budget of the sink's Braze endpoint group, for the whole workspace. */
  readonly rate: { readonly limit: number; readonly windowMs: number };
  /**
   * Most requests in flight at once. Below it the runner adapts: as many as the rate budget can use at the
   * observed latency (Little's law), halved after a 5xx or network failure (not below 8) and grown back by one
   * per answer.
   */
  readonly maxConcurrentRequests: number;
  /** Infrastructure the data does not depend on (Kafka): retried for as long as it takes, never dead-lettered. */
  readonly retryForever?: boolean;
}

export interface SinkRunnerOptions<T> {
  readonly transport: BrazeTransport;
  /** For sinks that hand records to Kafka. */
  readonly producer?: RecordProducer;
  /** For sinks that call a partner's API (`HTTP` requests). */
  readonly partnerTransport?: PartnerTransport;
  readonly sinks: readonly SinkSetup[];
  readonly retry: RetryPolicy;
  /** Fraction of every budget this instance may use. */
  readonly rateShare: number;
  /** How long to wait before probing again after Braze said the configuration is wrong (401/403/404). */
  readonly configRetryMs?: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly observer: PipelineObserver;
  /** False for work of an older generation: it is dropped, never sent or resent. */
  readonly isCurrent: (ticket: T) => boolean;
  /**
   * Called once per op that was not abandoned, in order within a key. May return the ops that continue its
   * flow: they take the op's place in its key's queue, ahead of every later op of that key.
   */
  readonly onOutcome: (ticket: T, op: Op, outcome: OpOutcome) => readonly Op[] | void;
  /** Called when Braze rejects the credentials or an endpoint, and with null once every sink is accepted again. */
  readonly onConfigProblem?: (problem: ConfigProblem | null) => void;
  /** A bug surfaced while handling a response or in a callback; reported instead of crashing the process. */
  readonly onError?: (err: unknown) => void;
  /** Called when a sink starts failing for a while (false) and when it answers again (true). */
  readonly onAvailability?: (endpoint: string, available: boolean) => void;
  /**
   * How long a request whose outcome is unknown (timeout, connection lost after sending) may still land at
   * Braze. Its ops are sent again only after it, so a late landing can never overwrite a newer write.
   */
  readonly ambiguityWindowMs?: number;
}

interface PendingOp<T> {
  readonly op: Op;
  readonly ticket: T;
  /** Most ops a batch holding this op may carry: halved each time a batch holding it is refused (isolation). */
  maxBatchOps: number;
  /** Ops that share this op's request (same coalescing key) and get its outcome. */
  followers?: Item<T>[];
  /** When this op's first attempt failed, for braze.retry.maxElapsedMs. */
  firstFailedAtMs?: number;
}

type Item<T> = ScheduledItem<PendingOp<T>>;

interface OpenBatch<T> {
  readonly batch: SinkBatch<Op, Item<T>>;
  cap: number;
}

interface Job<T> {
  readonly items: readonly Item<T>[];
  readonly read: (res: BrazeHttpResponse) => Verdict<Item<T>>;
  readonly request: ReturnType<SinkBatch<Op, Item<T>>['build']>['request'];
  readonly objects: number;
  readonly flushReason: FlushReason;
}

/** Everything the runner keeps per sink. */
class SinkState<T> {
  readonly budget: RateBudget;
  open: OpenBatch<T> | null = null;
  requestsInFlight = 0;
  problem: ConfigProblem | null = null;
  probeAllowed = false;
  probeTimer: { cancel(): void } | null = null;
  /** The op whose request answers for its coalescing key, while it is in a batch or in flight. */
  readonly leaders = new Map<string, Item<T>>();
  /** Consecutive requests that met 5xx or network errors, and since when; reset by any answer. */
  failures = 0;
  failingSinceMs: number | null = null;
  unavailable = false;
  /** Smoothed latency of answered requests (ms), or null before the first answer. */
  latencyMs: number | null = null;
  /** The failure-driven part of the limit: halved by a failed request, grown back by one per answer. */
  window: number;
  /** The concurrency last reported to the observer. */
  reportedConcurrency = -1;
  private share: number;

  constructor(readonly setup: SinkSetup, share: number) {
    this.budget = new RateBudget({ limit: setup.rate.limit, windowMs: setup.rate.windowMs, share });
    this.share = share;
    this.window = setup.maxConcurrentRequests;
  }

  setShare(share: number): void {
    this.share = share;
    this.budget.setShare(share);
  }

  /**
   * Requests this sink may have in flight now: enough to spend its rate budget at the observed latency, with
   * a margin (Little's law: in flight = rate x latency), never more than the failure window or the ceiling.
   */
  get concurrency(): number {
    const ceiling = this.setup.maxConcurrentRequests;
    // Local sinks (Kafka hand-offs, waits) have no rate budget: their ceiling is their limit.
    if (this.setup.rate.limit >= Number.MAX_SAFE_INTEGER) return Math.min(ceiling, this.window);
    const floor = Math.min(ceiling, MIN_ADAPTIVE_CONCURRENCY);
    const perMs = (this.setup.rate.limit * this.share) / this.setup.rate.windowMs;
    const needed = this.latencyMs === null ? floor : Math.ceil(perMs * this.latencyMs * CONCURRENCY_MARGIN) + 1;
    return Math.max(1, Math.min(ceiling, this.window, Math.max(floor, needed)));
  }

  /** An answer came back after `ms`: the latency estimate moves toward it and the failure window regrows. */
  answered(ms: number): void {
    this.latencyMs = this.latencyMs === null ? ms : this.latencyMs + LATENCY_SMOOTHING * (ms - this.latencyMs);
    if (this.window < this.setup.maxConcurrentRequests) this.window++;
  }

  /**
   * A request failed (5xx, network): fewer requests go out until answers come back, down to the starting
   * floor. A 429 is not counted here: the rate budget already pauses for it.
   */
  failed(): void {
    const floor = Math.min(this.setup.maxConcurrentRequests, MIN_ADAPTIVE_CONCURRENCY);
    this.window = Math.max(floor, Math.floor(Math.min(this.window, this.requestsInFlight + 1) / 2));
  }

  get policy(): SinkPolicy<Op> {
    return this.setup.policy as SinkPolicy<Op>;
  }

  get endpoint(): string {
    return this.setup.policy.endpoint;
  }
}

/** Requests a sink may keep in flight before any latency was observed, and at the least (capped by its ceiling). */
const MIN_ADAPTIVE_CONCURRENCY = 8;
/** Head room over Little's law, so latency jitter does not leave budget unused. */
const CONCURRENCY_MARGIN = 1.25;
/** Weight of the newest latency in the smoothed estimate. */
const LATENCY_SMOOTHING = 0.2;

/** The outcome of every op delivered without an answer to read (one object, not one per op). */
const DELIVERED: OpOutcome = Object.freeze({ delivered: true });

/** How soon the runner looks at its queues again after an unexpected error while pumping. */
const PUMP_RECOVERY_MS = 1000;

/** After this many consecutive failed requests (5xx, network errors) a sink counts as unavailable. */
const UNAVAILABLE_AFTER_FAILURES = 3;

/**
 * The one generic runner behind every sink. It owns what all destinations share: per-user scheduling across
 * sinks (one key scheduler, one lane per sink), concurrency, each endpoint's rate budget, retry with
 * backoff (one mechanism: ops go back to their key's queue, due later), isolation of refused data by
 * splitting batches, the configuration probe, capacity waiters and abandoning an old generation's work.
 * Sinks supply only their policy (src/core/sinks).
 */
export class SinkRunner<T> {
  private readonly scheduler = new KeyScheduler<PendingOp<T>>();
  private readonly sinks: SinkState<T>[];
  private readonly laneOf = new Map<string, SinkState<T>>();
  private timer: { at: number; handle: { cancel(): void } } | null = null;
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  private capacityWaiters = new Set<{ below: number; resolve: () => void }>();
  private pumping = false;
  private pumpAgain = false;
  private pumpQueued = false;
  private closed = false;

  constructor(private readonly options: SinkRunnerOptions<T>) {
    this.sinks = options.sinks.map((setup) => new SinkState<T>(setup, options.rateShare));
    for (const s of this.sinks) {
      for (const kind of s.setup.policy.kinds as readonly string[]) {
        if (this.laneOf.has(kind)) throw new TributaryError('invalid_sinks', `two sinks deliver ${kind} ops`);
        this.laneOf.set(kind, s);
      }
    }
  }

  /** Ops queued or in flight. */
  get size(): number {
    return this.scheduler.size;
  }

  get queued(): number {
    return this.scheduler.queued;
  }

  get inFlight(): number {
    return this.scheduler.inFlight;
  }

  /** The first configuration problem a sink reported, until a request to that sink gets another answer. */
  get configProblem(): ConfigProblem | null {
    for (const s of this.sinks) if (s.problem) return s.problem;
    return null;
  }

  /** Whether some sink delivers ops of this kind. */
  delivers(kind: string): boolean {
    return this.laneOf.has(kind);
  }

  setRateShare(share: number): void {
    for (const s of this.sinks) s.setShare(share);
  }

  /**
   * Queue an op under `key` (by default its own user key), not to be sent before `notBeforeMs`. Throws for an
   * op kind no sink delivers.
   */
  push(op: Op, ticket: T, key: string = opKeyOf(op), notBeforeMs = 0): void {
    const lane = this.laneFor(op);
    const item = this.scheduler.push(key, { op, ticket, maxBatchOps: Infinity }, lane.endpoint);
    if (notBeforeMs > 0) this.scheduler.delay(item, notBeforeMs);
    this.schedulePump();
  }

  /**
   * Pushes made in one synchronous run (a record's ops, a fetched batch decoded from cached schemas) are
   * taken by one pump, so a user's consecutive ops can share a request and the walk is paid once.
   */
  private schedulePump(): void {
    if (this.pumpQueued) return;
    this.pumpQueued = true;
    queueMicrotask(() => {
      this.pumpQueued = false;
      this.pump();
    });
  }

  /** Drop queued (not yet sent) ops whose ticket matches; returns how many. */
  dropQueued(predicate: (ticket: T) => boolean): number {
    const removed = this.scheduler.removeQueued((p) => predicate(p.ticket)).length;
    this.notifyCapacity();
    return removed;
  }

  /**
   * A new consumer-group generation: open batches give up the ops of the old generation (whatever was taken
   * in will be fetched again by the partition's owner); requests on the wire finish, and their ops are
   * dropped if they must be resent. Queued ops are left to `dropQueued`.
   */
  abandonStale(): void {
    const now = this.options.clock.now();
    for (const s of this.sinks) {
      const open = s.open;
      if (!open) continue;
      s.open = null;
      const { refs } = open.batch.build();
      for (const item of refs) {
        this.releaseLeader(s, item);
        if (this.options.isCurrent(item.payload.ticket)) this.sendAgain(item, now, false);
        else this.abandon(item);
      }
    }
    this.notifyCapacity();
    this.pump();
  }

  /** Resolves once fewer than `below` ops are queued or in flight, or after `timeoutMs`. */
  waitForCapacity(below: number, timeoutMs: number): Promise<void> {
    if (this.scheduler.size < below || this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = {
        below,
        resolve: () => {
          this.capacityWaiters.delete(waiter);
          timeout.cancel();
          resolve();
        },
      };
      const timeout = this.options.clock.setTimeout(() => waiter.resolve(), timeoutMs);
      this.capacityWaiters.add(waiter);
    });
  }

  /** Send everything now without waiting for linger, and resolve when nothing is queued or in flight. */
  async drain(): Promise<void> {
    this.draining = true;
    this.pump();
    if (this.isIdle()) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop sending; pending ops stay undelivered (their records are not committed). */
  close(): void {
    this.closed = true;
    this.timer?.handle.cancel();
    this.timer = null;
    for (const s of this.sinks) {
      s.probeTimer?.cancel();
      s.probeTimer = null;
    }
    for (const w of this.idleWaiters.splice(0)) w();
    for (const w of [...this.capacityWaiters]) w.resolve();
  }

  private laneFor(op: Op): SinkState<T> {
    const s = this.laneOf.get(op.kind);
    if (!s) throw new TributaryError('no_sink_for_op', `no sink delivers ${op.kind} ops`);
    return s;
  }

  private pump(): void {
    if (this.closed) return;
    if (this.pumping) {
      // An outcome delivered while pumping (an op answered locally) may have made another lane ready.
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.pumpAgain = false;
        // One instant for the whole pass. Asking the scheduler what to wake up for moves the keys that fell due by
        // then into the ready lists: had the clock moved on since the sinks looked, a key falling due in between
        // would wait there with no timer armed and no sink told.
        const now = this.options.clock.now();
        let wakeAt: number | null = null;
        for (const s of this.sinks) {
          const at = this.pumpSink(s, now);
          if (at !== null) wakeAt = wakeAt === null ? at : Math.min(wakeAt, at);
        }
        const due = this.scheduler.nextDueMs(now);
        if (due !== null) wakeAt = wakeAt === null ? due : Math.min(wakeAt, due);
        this.armTimer(wakeAt);
      } while (this.pumpAgain && !this.closed);
      this.options.observer.opsInFlight(this.scheduler.queued, this.scheduler.inFlight);
      this.checkIdle();
    } catch (err) {
      this.report(err);
      // A bug must not leave the queued work without a wake-up: look again in a while.
      if (!this.closed) this.armTimer(this.options.clock.now() + PUMP_RECOVERY_MS);
    } finally {
      this.pumping = false;
    }
  }

  /** Sends what this sink may send now; returns when it wants to be woken (linger, budget), or null. */
  private pumpSink(s: SinkState<T>, now: number): number | null {
    const lane = s.endpoint;
    const policy = s.policy;
    const limit = s.concurrency;
    if (limit !== s.reportedConcurrency) {
      s.reportedConcurrency = limit;
      this.options.observer.requestConcurrency(lane, limit);
    }
    // The limit moves only when answers arrive, never during this synchronous walk.
    while (s.requestsInFlight < limit && (s.problem === null || s.probeAllowed)) {
      if (!s.open) {
        if (!this.scheduler.hasReady(now, lane)) return null;
        s.open = { batch: policy.newBatch<Item<T>>(now), cap: Infinity };
      }
      const open = s.open;
      const local: Array<[Item<T>, OpAnswer]> = [];
      this.scheduler.take(
        now,
        (item) => {
          const op = item.payload.op;
          if (policy.answerLocally) {
            const answer = policy.answerLocally(op, now);
            if (answer !== null) {
              local.push([item, answer]);
              return 'accept';
            }
          }
          const coalesceKey = policy.coalesceKeyOf?.(op) ?? null;
          if (coalesceKey !== null) {
            const leader = s.leaders.get(coalesceKey);
            if (leader !== undefined) {
              (leader.payload.followers ??= []).push(item);
              policy.onCoalesced?.(op);
              return 'accept';
            }
          }
          const cap = Math.min(open.cap, item.payload.maxBatchOps);
          if (open.batch.opCount >= cap) return 'stop';
          const verdict = open.batch.offer(op, item);
          if (verdict === 'accept') {
            open.cap = cap;
            if (coalesceKey !== null) s.leaders.set(coalesceKey, item);
            return 'accept';
          }
          return verdict === 'reject-key' ? 'reject-key' : 'stop';
        },
        lane,
      );
      for (const [item, answer] of local) this.finish(s, item, { delivered: true, answer });
      if (open.batch.isEmpty()) {
        s.open = null;
        if (local.length > 0) continue;
        return null;
      }
      const reason: FlushReason | null =
        open.batch.flushReason(now) ?? (open.batch.opCount >= open.cap ? 'split' : null) ?? (this.draining || s.probeAllowed ? 'drain' : null);
      if (!reason) return open.batch.lingerUntilMs;
      const waitMs = s.budget.tryAcquire(now);
      if (waitMs > 0) {
        // The open batch keeps accumulating while the budget refills.
        this.options.observer.rateLimitWait(lane, waitMs);
        return now + waitMs;
      }
      s.open = null;
      s.probeAllowed = false;
      const built = open.batch.build();
      this.send(s, { items: built.refs, read: (res) => built.read(res), request: built.request, objects: built.objects, flushReason: reason });
    }
    return null;
  }

  private armTimer(at: number | null): void {
    if (at === null) return;
    if (this.timer && this.timer.at <= at) return;
    this.timer?.handle.cancel();
    const delay = Math.max(0, at - this.options.clock.now());
    const handle = this.options.clock.setTimeout(() => {
      this.timer = null;
      this.pump();
    }, delay);
    this.timer = { at, handle };
  }

  private send(s: SinkState<T>, job: Job<T>): void {
    const { clock, transport, observer } = this.options;
    s.requestsInFlight++;
    const startedAt = clock.now();
    const req = job.request;
    if (req.method === 'PRODUCE' || req.method === 'WAIT') {
      this.runLocal(s, job, req)
        .then((verdict) => this.settle(s, job, verdict))
        .catch((err: unknown) => this.report(err))
        .finally(() => {
          s.requestsInFlight--;
          this.pump();
        });
      return;
    }
    const sent = req.method === 'HTTP' ? this.sendToPartner(req) : req.method === 'POST' ? (req.json === undefined ? transport.post(req.path, req.body) : transport.post(req.path, undefined, undefined, req.json)) : transport.get(req.path, req.query);
    sent
      .then(
        (res): Verdict<Item<T>> | { kind: 'network' } => {
          const now = clock.now();
          const info = parseRateLimitHeaders(res.headers, now);
          s.budget.observe(info, now);
          if (res.status === 429) s.budget.on429(info, now);
          if (res.status >= 500) s.failed();
          else if (res.status !== 429) s.answered(now - startedAt);
          observer.brazeRequest(s.endpoint, String(res.status), now - startedAt, job.objects, job.flushReason);
          return job.read(res);
        },
        () => {
          // Network errors and timeouts: the request may have reached Braze, but dropping it would lose data.
          s.failed();
          observer.brazeRequest(s.endpoint, 'network_error', clock.now() - startedAt, job.objects, job.flushReason);
          return { kind: 'network' as const };
        },
      )
      .then((verdict) => this.settle(s, job, verdict))
      .catch((err: unknown) => this.report(err))
      .finally(() => {
        s.requestsInFlight--;
        this.pump();
      });
  }

  /** A partner's API call; without a partner transport it fails like a network error (retried, never dropped). */
  private sendToPartner(req: Extract<SinkRequest, { method: 'HTTP' }>): Promise<BrazeHttpResponse> {
    const partner = this.options.partnerTransport;
    if (!partner) return Promise.reject(new TributaryError('no_partner_transport', 'no partner transport is configured'));
    return partner.post(req.url, req.headers, req.body);
  }

  /** Requests that are not Braze's: a produce to Kafka, or a wait. */
  private async runLocal(s: SinkState<T>, job: Job<T>, req: Extract<SinkRequest, { method: 'PRODUCE' | 'WAIT' }>): Promise<Verdict<Item<T>> | { kind: 'network' }> {
    const { clock } = this.options;
    if (req.method === 'WAIT') {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, Math.max(0, req.untilMs - clock.now())));
      return job.read({ status: 200, headers: () => undefined, body: clock.now() });
    }
    const producer = this.options.producer;
    if (!producer) return { kind: 'config', status: 0, message: `no producer is configured for ${s.endpoint}` };
    try {
      await producer.send(req.records);
      const byTopic = new Map<string, number>();
      for (const r of req.records) byTopic.set(r.topicKey, (byTopic.get(r.topicKey) ?? 0) + 1);
      for (const [topicKey, n] of byTopic) this.options.observer.handedOff(topicKey, n);
    } catch (err) {
      const e = err as { retryable?: boolean; message?: string };
      this.options.onError?.(new Error(`producing to a hand-off topic failed${e.retryable === false ? '' : ' (will retry)'}: ${e.message ?? String(err)}`));
      if (e.retryable === false) return { kind: 'reject', status: 0, message: e.message ?? 'Kafka refused the record' };
      return { kind: 'network' };
    }
    return job.read({ status: 200, headers: () => undefined, body: null });
  }

  private settle(s: SinkState<T>, job: Job<T>, verdict: Verdict<Item<T>> | { kind: 'network' }): void {
    if (this.closed) return;
    const { clock, retry, random, isCurrent } = this.options;
    const now = clock.now();
    if (verdict.kind === 'answered' || verdict.kind === 'reject') this.markAnswering(s);
    if (verdict.kind !== 'config' && s.problem) {
      // Any other answer means the key, permissions and endpoint are accepted again.
      s.problem = null;
      s.probeTimer?.cancel();
      s.probeTimer = null;
      if (this.configProblem === null) this.callback(() => this.options.onConfigProblem?.(null));
    }
    for (const item of job.items) this.releaseLeader(s, item);
    const current = job.items.filter((it) => {
      if (isCurrent(it.payload.ticket)) return true;
      this.abandon(it);
      return false;
    });
    switch (verdict.kind) {
      case 'answered': {
        for (const it of current) {
          let result: ItemResult;
          try {
            result = verdict.resultOf(it);
          } catch (err) {
            this.report(err);
            result = { kind: 'rejected', code: 'braze_answer_unreadable', detail: `the answer of ${s.endpoint} could not be read` };
          }
          if (result.kind === 'delivered') {
            const onDelivered = s.policy.onDelivered;
            if (onDelivered !== undefined) {
              try {
                onDelivered.call(s.policy, it.payload.op, result.answer, now);
              } catch (err) {
                this.report(err);
              }
            }
            this.finish(s, it, result.answer === undefined ? DELIVERED : { delivered: true, answer: result.answer });
          } else {
            this.finish(s, it, { delivered: false, code: result.code, detail: result.detail, ...(result.brazeErrorType ? { brazeErrorType: result.brazeErrorType } : {}) });
          }
        }
        break;
      }
      case 'network':
      case 'retry': {
        const reason = verdict.kind === 'network' ? 'network' : verdict.reason;
        this.options.observer.brazeRetry(s.endpoint, reason);
        let attempt = 1;
        for (const it of current) attempt = Math.max(attempt, it.attempt);
        // A request whose outcome is unknown (timeout, connection lost after sending) may still land: the ops
        // wait out the ambiguity window before they are sent again, so nothing of theirs lands after a newer write.
        const ambiguous = verdict.kind === 'network' ? this.options.ambiguityWindowMs ?? 0 : 0;
        const at = now + Math.max(backoffMs(attempt, retry, random), ambiguous);
        if (verdict.kind === 'network' || verdict.reason === 'server-error') this.markFailing(s, now);
        for (const it of current) {
          it.payload.firstFailedAtMs ??= now;
          const exhausted = it.attempt >= retry.maxAttempts || (retry.maxElapsedMs !== undefined && now - it.payload.firstFailedAtMs >= retry.maxElapsedMs);
          if (exhausted && !s.setup.retryForever) {
            const last = verdict.kind === 'network' ? 'network' : `${verdict.reason} ${verdict.status}`;
            this.finish(s, it, { delivered: false, code: 'braze_retries_exhausted', detail: `gave up after ${it.attempt} attempts in ${now - it.payload.firstFailedAtMs} ms (last: ${last})` });
          } else {
            this.sendAgain(it, at, true);
          }
        }
        break;
      }
      case 'reject': {
        if (current.length === 1 && job.items.length === 1) {
          const it = current[0]!;
          this.finish(s, it, { delivered: false, code: 'braze_rejected', detail: `Braze answered ${verdict.status} to ${describeOp(it.payload.op)}: ${redactText(verdict.message)}` });
          break;
        }
        // Isolate: each op goes back to its key's queue and may travel with at most half as many ops as before,
        // until the refused ones are alone and dead-lettered.
        const cap = Math.max(1, Math.ceil(job.items.length / 2));
        for (const it of current) {
          it.payload.maxBatchOps = Math.min(it.payload.maxBatchOps, cap);
          this.sendAgain(it, now, false);
        }
        break;
      }
      case 'config': {
        // Credentials, permissions or endpoint are wrong: nothing is dead-lettered. This sink stops; one request
        // goes out every configRetryMs as a probe, and any other answer resumes delivery.
        const first = this.configProblem === null;
        s.problem = { endpoint: s.endpoint, status: verdict.status, message: redactText(verdict.message) };
        for (const it of current) this.sendAgain(it, now, false);
        this.armProbe(s);
        if (first) this.callback(() => this.options.onConfigProblem?.(s.problem));
        break;
      }
    }
    this.notifyCapacity();
  }

  /** Every sink's endpoint. */
  get endpoints(): string[] {
    return this.sinks.map((s) => s.endpoint);
  }

  /** Endpoints that are failing (5xx, network errors) for a while: their work waits, nothing is dead-lettered. */
  get unavailable(): string[] {
    return this.sinks.filter((s) => s.unavailable).map((s) => s.endpoint);
  }

  private markFailing(s: SinkState<T>, now: number): void {
    s.failures++;
    s.failingSinceMs ??= now;
    if (!s.unavailable && s.failures >= UNAVAILABLE_AFTER_FAILURES) {
      s.unavailable = true;
      this.callback(() => this.options.onAvailability?.(s.endpoint, false));
    }
  }

  private markAnswering(s: SinkState<T>): void {
    s.failures = 0;
    s.failingSinceMs = null;
    if (s.unavailable) {
      s.unavailable = false;
      this.callback(() => this.options.onAvailability?.(s.endpoint, true));
    }
  }

  private armProbe(s: SinkState<T>): void {
    if (s.probeTimer) return;
    s.probeTimer = this.options.clock.setTimeout(() => {
      s.probeTimer = null;
      if (s.problem === null || this.closed) return;
      s.probeAllowed = true;
      this.pump();
      // Nothing to probe with yet (no work waiting): look again later.
      if (s.probeAllowed) {
        s.probeAllowed = false;
        this.armProbe(s);
      }
    }, this.options.configRetryMs ?? 30_000);
  }

  private releaseLeader(s: SinkState<T>, item: Item<T>): void {
    const key = s.policy.coalesceKeyOf?.(item.payload.op) ?? null;
    if (key !== null && s.leaders.get(key) === item) s.leaders.delete(key);
  }

  /** Ends an op with its outcome; the ops that continue its flow, if any, take its place in the key's queue. */
  private finish(s: SinkState<T>, item: Item<T>, outcome: OpOutcome): void {
    const followers = item.payload.followers;
    item.payload.followers = undefined;
    if (!outcome.delivered) this.callback(() => s.policy.onFailed?.(item.payload.op));
    // Called for every op: a plain try rather than a closure per call.
    let continuation: readonly Op[] | void = undefined;
    try {
      continuation = this.options.onOutcome(item.payload.ticket, item.payload.op, outcome);
    } catch (err) {
      this.report(err);
    }
    if (continuation && continuation.length > 0) {
      let payloads;
      try {
        payloads = continuation.map((op) => ({ payload: { op, ticket: item.payload.ticket, maxBatchOps: Infinity }, lane: this.laneFor(op).endpoint }));
      } catch (err) {
        this.report(err);
        payloads = null;
      }
      if (payloads) this.scheduler.continueWith(item, payloads);
      else this.scheduler.complete(item);
    } else {
      this.scheduler.complete(item);
    }
    if (followers) {
      for (const f of followers) {
        if (this.options.isCurrent(f.payload.ticket)) this.finish(s, f, outcome);
        else this.abandon(f);
      }
    }
    this.notifyCapacity();
    if (continuation && continuation.length > 0) this.pump();
  }

  /**
   * Puts an op back in its key's queue, due at `at`, and with it the ops that were to share its answer: they
   * are in flight only through it, and one of them may be the next op of its own key, which would otherwise
   * hold that key in flight, so the op itself would never be handed out again.
   */
  private sendAgain(item: Item<T>, at: number, countAttempt: boolean): void {
    this.scheduler.retry(item, at, countAttempt);
    this.requeueFollowers(item, at);
  }

  /** The ops that were to share `item`'s answer go back to their own queues (due at `at`), or are abandoned when stale. */
  private requeueFollowers(item: Item<T>, at: number): void {
    const followers = item.payload.followers;
    if (!followers) return;
    item.payload.followers = undefined;
    for (const f of followers) {
      if (this.options.isCurrent(f.payload.ticket)) this.scheduler.retry(f, at, false);
      else this.abandon(f);
    }
  }

  /** Releases an op without an outcome: its record is fetched again. Its followers go back to their queues. */
  private abandon(item: Item<T>): void {
    this.scheduler.complete(item);
    if (item.payload.followers) this.requeueFollowers(item, this.options.clock.now());
    this.notifyCapacity();
  }

  private callback(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.report(err);
    }
  }

  private report(err: unknown): void {
    try {
      this.options.onError?.(err);
    } catch {
      // A failing error reporter must not take the runner down with it.
    }
  }

  private notifyCapacity(): void {
    if (this.capacityWaiters.size === 0) return;
    const size = this.scheduler.size;
    for (const w of [...this.capacityWaiters]) if (size < w.below) w.resolve();
  }

  /**
   * Nothing left to send. Ops that only wait (a delayed step not due yet) do not count: at shutdown they are
   * left uncommitted and read again, rather than holding the shutdown for their whole wait.
   */
  private isIdle(): boolean {
    let waiting = 0;
    for (const s of this.sinks) {
      if (s.policy.kinds.includes('timer.wait')) waiting += s.requestsInFlight;
      else if (s.requestsInFlight > 0) return false;
    }
    return this.scheduler.size === waiting;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
    this.draining = false;
  }
}

function describeOp(op: Op): string {
  switch (op.kind) {
    case 'track.attributes':
    case 'track.event':
    case 'track.purchase':
      return `the ${describeTrackOp(op)}`;
    case 'identity.lookup':
      return 'the look-up by email';
    case 'subscription.get':
      return `the subscription state read of group ${op.groupId}`;
    case 'subscription.set':
      return `the subscription change in group ${op.groupId}`;
    case 'kafka.produce':
      return `the record for topics.${op.topicKey}`;
    case 'timer.wait':
      return 'the wait';
    case 'movable-ink.track':
    case 'movable-ink.identify':
      return `the Movable Ink ${op.kind.slice('movable-ink.'.length)} call`;
    case 'quikly.webhook':
      return 'the Quikly webhook call';
  }
}
