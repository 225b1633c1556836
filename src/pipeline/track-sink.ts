import { KeyScheduler, type ScheduledItem } from '../core/key-scheduler.js';
import { TrackBatch, type FlushReason, type TrackBatchPolicy, type TrackRequestBody } from '../core/track-batch.js';
import { RateBudget, parseRateLimitHeaders } from '../core/rate-budget.js';
import { backoffMs, type RetryPolicy } from '../core/retry-policy.js';
import { classifyNetworkError, classifyTrackResponse, type TrackOutcome } from '../core/track-response.js';
import { redactText } from '../core/redact-text.js';
import { userKeyOf, type TrackOp } from '../core/ops.js';
import type { BrazeTransport } from '../core/ports.js';
import type { Clock, PipelineObserver } from './ports.js';

const ENDPOINT = '/users/track';

/** Why an op finished. `delivered: false` means it is dead-lettered with this reason. */
export type OpOutcome =
  | { readonly delivered: true }
  | { readonly delivered: false; readonly code: string; readonly detail: string; readonly brazeErrorType?: string };

export interface TrackSinkOptions {
  readonly transport: BrazeTransport;
  readonly batch: TrackBatchPolicy;
  readonly retry: RetryPolicy;
  readonly rate: { readonly limit: number; readonly windowMs: number; readonly share: number };
  readonly maxConcurrentRequests: number;
  /** How long to wait before probing again after Braze said the configuration is wrong (401/403/404). */
  readonly configRetryMs?: number;
  readonly clock: Clock;
  readonly random: () => number;
  readonly observer: PipelineObserver;
  /** Called once per op that was not abandoned, in order within a key. */
  readonly onOutcome: (ticket: unknown, outcome: OpOutcome) => void;
  /** Called when Braze rejects the credentials or endpoint, and with null once a later request gets another answer. */
  readonly onConfigProblem?: (problem: { status: number; message: string } | null) => void;
  /** A bug surfaced while handling a response or in a callback; reported instead of crashing the process. */
  readonly onError?: (err: unknown) => void;
}

interface PendingOp {
  readonly op: TrackOp;
  readonly ticket: unknown;
}

type Item = ScheduledItem<PendingOp>;

/** One HTTP request's worth of ops, resent as a unit on retryable failures. */
interface Job {
  readonly items: Item[];
  readonly body: TrackRequestBody;
  readonly refs: { attributes: Item[][]; events: Item[][]; purchases: Item[][] };
  readonly objects: number;
  readonly flushReason: FlushReason | 'split';
  /** The sink generation the job was built in; work of an older generation is abandoned, never resent. */
  readonly generation: number;
  attempt: number;
  /** The next piece of a bisected batch: sent only after this one settles, so one user's ops never race. */
  after?: Job;
}

/**
 * The Braze /users/track sink: schedules ops per user key, batches them within Braze's limits,
 * sends them under the rate budget, retries what may be retried and isolates what Braze rejects.
 */
export class TrackSink {
  private readonly scheduler = new KeyScheduler<PendingOp>();
  private readonly budget: RateBudget;
  private generation = 0;
  private open: TrackBatch<Item> | null = null;
  private openGeneration = 0;
  private readonly waitingJobs: Job[] = [];
  private requestsInFlight = 0;
  private timer: { at: number; handle: { cancel(): void } } | null = null;
  private draining = false;
  /** The configuration problem Braze reported, until a request gets any other answer. */
  private problem: { status: number; message: string } | null = null;
  /** While a configuration problem stands, nothing is sent except one probe per configRetryMs. */
  private blocked = false;
  private probeAllowed = false;
  private probeTimer: { cancel(): void } | null = null;
  private idleWaiters: Array<() => void> = [];
  private capacityWaiters = new Set<{ below: number; resolve: () => void }>();
  private pumping = false;
  private closed = false;

  constructor(private readonly options: TrackSinkOptions) {
    this.budget = new RateBudget({ limit: options.rate.limit, windowMs: options.rate.windowMs, share: options.rate.share });
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

  get configProblem(): { status: number; message: string } | null {
    return this.problem;
  }

  setRateShare(share: number): void {
    this.budget.setShare(share);
  }

  push(op: TrackOp, ticket: unknown): void {
    this.scheduler.push(userKeyOf(op.user), { op, ticket });
    this.pump();
  }

  /** Drop queued (not yet sent) ops whose ticket matches; returns their tickets. */
  dropQueued(predicate: (ticket: unknown) => boolean): unknown[] {
    const removed = this.scheduler.removeQueued((p) => predicate(p.ticket)).map((p) => p.ticket);
    this.notifyCapacity();
    return removed;
  }

  /**
   * A new consumer-group generation: whatever was taken in so far will be fetched again by the partition's
   * owner, so work of the old generation that is waiting (a lingering batch, retries, bisected halves, a
   * configuration probe) is abandoned instead of resent after the new owner has moved on. Requests already
   * on the wire finish; if they fail, they are abandoned too. Queued ops are left to `dropQueued`.
   */
  abandonWaiting(): void {
    this.generation++;
    if (this.open) {
      for (const it of this.jobFrom(this.open, 'drain', this.openGeneration).items) this.scheduler.complete(it);
      this.open = null;
    }
    for (const job of this.waitingJobs.splice(0)) this.abandon(job);
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
    this.probeTimer?.cancel();
    this.probeTimer = null;
    for (const w of this.idleWaiters.splice(0)) w();
    for (const w of [...this.capacityWaiters]) w.resolve();
  }

  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      this.pumpOnce();
    } catch (err) {
      this.report(err);
    } finally {
      this.pumping = false;
    }
  }

  private pumpOnce(): void {
    const { clock } = this.options;
    let wakeAt: number | null = null;
    const wake = (at: number) => {
      wakeAt = wakeAt === null ? at : Math.min(wakeAt, at);
    };
    while (this.requestsInFlight < this.options.maxConcurrentRequests && (!this.blocked || this.probeAllowed)) {
      const now = clock.now();
      // Retries and bisected halves go first: they hold their users' keys.
      let job = this.waitingJobs.length > 0 ? this.waitingJobs[0]! : null;
      if (job && job.generation !== this.generation) {
        this.waitingJobs.shift();
        this.abandon(job);
        continue;
      }
      let fromOpen = false;
      if (!job) {
        if (!this.open) {
          this.open = new TrackBatch<Item>(this.options.batch, now);
          this.openGeneration = this.generation;
        }
        const batch = this.open;
        this.scheduler.take(now, (item) => {
          const r = batch.offer(item.payload.op, item);
          return r === 'accept' ? 'accept' : r === 'reject-key' ? 'reject-key' : 'stop';
        });
        if (batch.isEmpty()) {
          this.open = null;
          break;
        }
        const reason = batch.flushReason(now) ?? (this.draining || this.probeAllowed ? 'drain' : null);
        if (!reason) {
          wake(batch.openedAtMs + this.options.batch.lingerMs);
          break;
        }
        job = this.jobFrom(batch, reason, this.openGeneration);
        fromOpen = true;
      }
      const waitMs = this.budget.tryAcquire(now);
      if (waitMs > 0) {
        // An open batch keeps accumulating while the budget refills.
        this.options.observer.rateLimitWait(ENDPOINT, waitMs);
        wake(now + waitMs);
        break;
      }
      if (fromOpen) this.open = null;
      else this.waitingJobs.shift();
      this.probeAllowed = false;
      this.send(job);
    }
    const due = this.scheduler.nextDueMs(clock.now());
    if (due !== null) wake(due);
    this.armTimer(wakeAt);
    this.options.observer.opsInFlight(this.scheduler.queued, this.scheduler.inFlight);
    this.checkIdle();
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

  private jobFrom(batch: TrackBatch<Item>, reason: FlushReason | 'split', generation: number): Job {
    const { body, refs } = batch.build();
    const items: Item[] = [];
    const seen = new Set<Item>();
    for (const list of [refs.attributes, refs.events, refs.purchases]) {
      for (const group of list) {
        for (const it of group) {
          if (seen.has(it)) continue;
          seen.add(it);
          items.push(it);
        }
      }
    }
    items.sort((a, b) => a.id - b.id);
    return { items, body, refs, objects: batch.objectCount, flushReason: reason, generation, attempt: 0 };
  }

  private send(job: Job): void {
    const { clock, transport, observer } = this.options;
    this.requestsInFlight++;
    job.attempt++;
    const startedAt = clock.now();
    transport
      .post(ENDPOINT, job.body)
      .then(
        (res) => {
          const now = clock.now();
          const info = parseRateLimitHeaders(res.headers, now);
          this.budget.observe(info, now);
          if (res.status === 429) this.budget.on429(info, now);
          observer.brazeRequest(ENDPOINT, String(res.status), now - startedAt, job.objects, job.flushReason);
          return classifyTrackResponse(res.status, res.body);
        },
        (err: unknown) => {
          observer.brazeRequest(ENDPOINT, 'network_error', clock.now() - startedAt, job.objects, job.flushReason);
          return classifyNetworkError(err);
        },
      )
      .then((outcome) => this.settle(job, outcome))
      .catch((err: unknown) => this.report(err))
      .finally(() => {
        this.requestsInFlight--;
        this.pump();
      });
  }

  private settle(job: Job, outcome: TrackOutcome): void {
    if (this.closed) return;
    if (outcome.kind !== 'config' && this.problem) {
      // Any other answer means the key, permissions and endpoint are accepted again.
      this.problem = null;
      this.blocked = false;
      this.probeTimer?.cancel();
      this.probeTimer = null;
      this.callback(() => this.options.onConfigProblem?.(null));
    }
    const stale = job.generation !== this.generation;
    switch (outcome.kind) {
      case 'ok': {
        const failed = new Map<Item, string>();
        for (const e of outcome.itemErrors) {
          const group = job.refs[e.inputArray]?.[e.index];
          if (group) for (const it of group) if (!failed.has(it)) failed.set(it, e.type);
        }
        for (const it of job.items) {
          const type = failed.get(it);
          this.finish(
            it,
            type === undefined
              ? { delivered: true }
              : { delivered: false, code: 'braze_item_error', detail: `Braze rejected the ${describeOp(it.payload.op)}`, brazeErrorType: redactText(type, 120) },
          );
        }
        this.sendAfter(job);
        return;
      }
      case 'retry': {
        this.options.observer.brazeRetry(ENDPOINT, outcome.reason);
        if (stale) return this.abandon(job);
        if (job.attempt >= this.options.retry.maxAttempts) {
          const detail = `gave up after ${job.attempt} attempts (last: ${outcome.reason}${outcome.status ? ` ${outcome.status}` : ''})`;
          for (const it of job.items) this.finish(it, { delivered: false, code: 'braze_retries_exhausted', detail });
          this.sendAfter(job);
          return;
        }
        this.options.clock.setTimeout(() => {
          if (job.generation !== this.generation) this.abandon(job);
          else this.waitingJobs.push(job);
          this.pump();
        }, backoffMs(job.attempt, this.options.retry, this.options.random));
        return;
      }
      case 'reject': {
        if (stale) return this.abandon(job);
        if (job.items.length === 1) {
          this.finish(job.items[0]!, {
            delivered: false,
            code: 'braze_rejected',
            detail: `Braze answered ${outcome.status} to the ${describeOp(job.items[0]!.payload.op)}: ${redactText(outcome.message)}`,
          });
          this.sendAfter(job);
          return;
        }
        // Bisect: resend each half on its own, one after the other, until the offending objects are isolated.
        const mid = Math.ceil(job.items.length / 2);
        const first = this.rebuild(job.items.slice(0, mid));
        const second = this.rebuild(job.items.slice(mid));
        lastOf(first).after = second;
        lastOf(second).after = job.after;
        this.waitingJobs.push(first);
        return;
      }
      case 'config': {
        // Credentials, permissions or endpoint are wrong: nothing is dead-lettered. Sending stops; one request
        // goes out every configRetryMs as a probe, and any answer other than 401/403/404 resumes delivery.
        const first = this.problem === null;
        this.problem = { status: outcome.status, message: redactText(outcome.message) };
        this.blocked = true;
        if (stale) this.abandon(job);
        else {
          job.attempt = 0;
          this.waitingJobs.unshift(job);
        }
        this.armProbe();
        if (first) this.callback(() => this.options.onConfigProblem?.(this.problem));
        return;
      }
    }
  }

  private armProbe(): void {
    if (this.probeTimer) return;
    this.probeTimer = this.options.clock.setTimeout(() => {
      this.probeTimer = null;
      if (!this.blocked || this.closed) return;
      this.probeAllowed = true;
      this.pump();
      // Nothing to probe with yet (no work waiting): look again later.
      if (this.probeAllowed) {
        this.probeAllowed = false;
        this.armProbe();
      }
    }, this.options.configRetryMs ?? 30_000);
  }

  /** Re-batches a subset of a sent batch, in order; a subset that no longer fits one request becomes a chain. */
  private rebuild(items: Item[]): Job {
    const jobs: Job[] = [];
    const generation = this.generation;
    let batch = new TrackBatch<Item>(this.options.batch, this.options.clock.now());
    for (const it of items) {
      if (batch.offer(it.payload.op, it) === 'accept') continue;
      jobs.push(this.jobFrom(batch, 'split', generation));
      batch = new TrackBatch<Item>(this.options.batch, this.options.clock.now());
      if (batch.offer(it.payload.op, it) !== 'accept') throw new Error('an op that was sent once no longer fits an empty batch');
    }
    if (!batch.isEmpty()) jobs.push(this.jobFrom(batch, 'split', generation));
    for (let i = 0; i + 1 < jobs.length; i++) jobs[i]!.after = jobs[i + 1]!;
    return jobs[0]!;
  }

  private sendAfter(job: Job): void {
    if (job.after) this.waitingJobs.push(job.after);
  }

  /** Releases the keys of a job (and the pieces chained after it) without an outcome: its records are fetched again. */
  private abandon(job: Job): void {
    for (let j: Job | undefined = job; j; j = j.after) for (const it of j.items) this.scheduler.complete(it);
    this.notifyCapacity();
  }

  private finish(item: Item, outcome: OpOutcome): void {
    this.scheduler.complete(item);
    this.callback(() => this.options.onOutcome(item.payload.ticket, outcome));
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
      // A failing error reporter must not take the sink down with it.
    }
  }

  private notifyCapacity(): void {
    if (this.capacityWaiters.size === 0) return;
    const size = this.scheduler.size;
    for (const w of [...this.capacityWaiters]) if (size < w.below) w.resolve();
  }

  private isIdle(): boolean {
    return this.scheduler.size === 0 && this.requestsInFlight === 0 && this.waitingJobs.length === 0;
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0 || !this.isIdle()) return;
    for (const w of this.idleWaiters.splice(0)) w();
    this.draining = false;
  }
}

function lastOf(job: Job): Job {
  let j = job;
  while (j.after) j = j.after;
  return j;
}

function describeOp(op: TrackOp): string {
  switch (op.kind) {
    case 'track.attributes':
      return `attributes object (${Object.keys(op.attributes).length} attributes)`;
    case 'track.event':
      return `event ${JSON.stringify(op.name).slice(0, 80)}`;
    case 'track.purchase':
      return 'purchase object';
  }
}
