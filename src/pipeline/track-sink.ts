import { KeyScheduler, type ScheduledItem } from '../core/key-scheduler.js';
import { TrackBatch, type FlushReason, type TrackBatchPolicy, type TrackRequestBody } from '../core/track-batch.js';
import { RateBudget, parseRateLimitHeaders } from '../core/rate-budget.js';
import { backoffMs, type RetryPolicy } from '../core/retry-policy.js';
import { classifyNetworkError, classifyTrackResponse, type TrackOutcome } from '../core/track-response.js';
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
  /** Called once per op, in no particular order across keys (but in order within a key). */
  readonly onOutcome: (ticket: unknown, outcome: OpOutcome) => void;
  /** Called when Braze rejects the credentials or endpoint (true) and when a later request succeeds again (false). */
  readonly onConfigProblem?: (problem: { status: number; message: string } | null) => void;
  /** A bug surfaced while handling a response; reported instead of crashing the process. */
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
  private open: TrackBatch<Item> | null = null;
  private readonly waitingJobs: Job[] = [];
  private requestsInFlight = 0;
  private timer: { at: number; handle: { cancel(): void } } | null = null;
  private draining = false;
  private halted: { status: number; message: string } | null = null;
  private idleWaiters: Array<() => void> = [];
  private capacityWaiters: Array<{ below: number; resolve: () => void }> = [];
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
    return this.halted;
  }

  setRateShare(share: number): void {
    this.budget.setShare(share);
  }

  push(op: TrackOp, ticket: unknown): void {
    this.scheduler.push(userKeyOf(op.user), { op, ticket });
    this.pump();
  }

  /** Drop queued (not yet sent) ops whose ticket matches; returns their tickets. In-flight ops finish normally. */
  dropQueued(predicate: (ticket: unknown) => boolean): unknown[] {
    const removed = this.scheduler.removeQueued((p) => predicate(p.ticket)).map((p) => p.ticket);
    this.notifyCapacity();
    return removed;
  }

  /** Resolves once fewer than `below` ops are queued or in flight. */
  waitForCapacity(below: number): Promise<void> {
    if (this.scheduler.size < below) return Promise.resolve();
    return new Promise((resolve) => this.capacityWaiters.push({ below, resolve }));
  }

  /** Send everything now without waiting for linger, and resolve when nothing is queued or in flight. */
  async drain(): Promise<void> {
    this.draining = true;
    this.pump();
    if (this.scheduler.size === 0 && this.requestsInFlight === 0) return;
    await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stop sending; pending ops stay undelivered (their records are not committed). */
  close(): void {
    this.closed = true;
    this.timer?.handle.cancel();
    this.timer = null;
    for (const w of this.idleWaiters.splice(0)) w();
    for (const w of this.capacityWaiters.splice(0)) w.resolve();
  }

  private pump(): void {
    if (this.pumping || this.closed) return;
    this.pumping = true;
    try {
      this.pumpOnce();
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
    while (this.requestsInFlight < this.options.maxConcurrentRequests && !this.halted) {
      const now = clock.now();
      // Retries and bisected halves go first: they hold their users' keys.
      let job = this.waitingJobs.length > 0 ? this.waitingJobs[0]! : null;
      let fromOpen = false;
      if (!job) {
        if (!this.open) this.open = new TrackBatch<Item>(this.options.batch, now);
        const batch = this.open;
        this.scheduler.take(now, (item) => {
          const r = batch.offer(item.payload.op, item);
          return r === 'accept' ? 'accept' : r === 'reject-key' ? 'reject-key' : 'stop';
        });
        if (batch.isEmpty()) {
          this.open = null;
          break;
        }
        const reason = batch.flushReason(now) ?? (this.draining ? 'drain' : null);
        if (!reason) {
          wake(batch.openedAtMs + this.options.batch.lingerMs);
          break;
        }
        job = this.jobFrom(batch, reason);
        fromOpen = true;
      }
      const waitMs = this.budget.tryAcquire(now);
      if (waitMs > 0) {
        this.options.observer.rateLimitWait(ENDPOINT, waitMs);
        // An open batch keeps accumulating while the budget refills.
        wake(now + waitMs);
        break;
      }
      if (fromOpen) this.open = null;
      else this.waitingJobs.shift();
      this.send(job);
    }
    const due = this.scheduler.nextDueMs(clock.now());
    if (due !== null) wake(due);
    this.armTimer(wakeAt);
    this.reportGauges();
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

  private jobFrom(batch: TrackBatch<Item>, reason: FlushReason | 'split'): Job {
    const { body, refs } = batch.build();
    const items: Item[] = [];
    const seen = new Set<Item>();
    for (const list of [refs.attributes, refs.events, refs.purchases]) {
      for (const group of list) for (const it of group) {
          if (seen.has(it)) continue;
          seen.add(it);
          items.push(it);
        }
    }
    items.sort((a, b) => a.id - b.id);
    return { items, body, refs, objects: batch.objectCount, flushReason: reason, attempt: 0 };
  }

  private send(job: Job): void {
    const { clock, transport, observer } = this.options;
    this.requestsInFlight++;
    job.attempt++;
    const startedAt = clock.now();
    transport.post(ENDPOINT, job.body).then(
      (res) => {
        const now = clock.now();
        const info = parseRateLimitHeaders(res.headers, now);
        this.budget.observe(info, now);
        const outcome = classifyTrackResponse(res.status, res.body);
        observer.brazeRequest(ENDPOINT, String(res.status), now - startedAt, job.objects, job.flushReason);
        if (res.status === 429) this.budget.on429(info, now);
        this.settle(job, outcome);
      },
      (err: unknown) => {
        observer.brazeRequest(ENDPOINT, 'network_error', clock.now() - startedAt, job.objects, job.flushReason);
        this.settle(job, classifyNetworkError(err));
      },
    )
      .catch((err: unknown) => this.options.onError?.(err))
      .finally(() => {
        this.requestsInFlight--;
        this.pump();
      });
  }

  private settle(job: Job, outcome: TrackOutcome): void {
    if (this.closed) return;
    switch (outcome.kind) {
      case 'ok': {
        if (this.halted) {
          this.halted = null;
          this.options.onConfigProblem?.(null);
        }
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
              : { delivered: false, code: 'braze_item_error', detail: `Braze rejected the ${describeOp(it.payload.op)}`, brazeErrorType: type },
          );
        }
        this.sendAfter(job);
        return;
      }
      case 'retry': {
        this.options.observer.brazeRetry(ENDPOINT, outcome.reason);
        if (job.attempt >= this.options.retry.maxAttempts) {
          const detail = `gave up after ${job.attempt} attempts (last: ${outcome.reason}${outcome.status ? ` ${outcome.status}` : ''})`;
          for (const it of job.items) this.finish(it, { delivered: false, code: 'braze_retries_exhausted', detail });
          this.sendAfter(job);
          return;
        }
        const delay = backoffMs(job.attempt, this.options.retry, this.options.random);
        this.options.clock.setTimeout(() => {
          this.waitingJobs.push(job);
          this.pump();
        }, delay);
        return;
      }
      case 'reject': {
        if (job.items.length === 1) {
          this.finish(job.items[0]!, {
            delivered: false,
            code: 'braze_rejected',
            detail: `Braze answered ${outcome.status} to the ${describeOp(job.items[0]!.payload.op)}: ${truncate(outcome.message)}`,
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
        // Credentials or endpoint are wrong: nothing is dead-lettered; sending stops, and the same request
        // is sent again as a probe every configRetryMs until Braze accepts it.
        if (!this.halted) this.options.onConfigProblem?.({ status: outcome.status, message: outcome.message });
        this.halted = { status: outcome.status, message: outcome.message };
        this.options.clock.setTimeout(() => {
          if (!this.closed) this.send(job);
        }, this.options.configRetryMs ?? 30_000);
        return;
      }
    }
  }

  /** Re-batches a subset of a sent batch, in order; a subset that no longer fits one request becomes a chain. */
  private rebuild(items: Item[]): Job {
    const jobs: Job[] = [];
    let batch = new TrackBatch<Item>(this.options.batch, this.options.clock.now());
    for (const it of items) {
      if (batch.offer(it.payload.op, it) === 'accept') continue;
      jobs.push(this.jobFrom(batch, 'split'));
      batch = new TrackBatch<Item>(this.options.batch, this.options.clock.now());
      if (batch.offer(it.payload.op, it) !== 'accept') throw new Error('an op that was sent once no longer fits an empty batch');
    }
    if (!batch.isEmpty()) jobs.push(this.jobFrom(batch, 'split'));
    for (let i = 0; i + 1 < jobs.length; i++) jobs[i]!.after = jobs[i + 1]!;
    return jobs[0]!;
  }

  private sendAfter(job: Job): void {
    if (job.after) this.waitingJobs.push(job.after);
  }

  private finish(item: Item, outcome: OpOutcome): void {
    this.scheduler.complete(item);
    this.options.onOutcome(item.payload.ticket, outcome);
    this.notifyCapacity();
  }

  private notifyCapacity(): void {
    if (this.capacityWaiters.length === 0) return;
    const size = this.scheduler.size;
    this.capacityWaiters = this.capacityWaiters.filter((w) => {
      if (size < w.below) {
        w.resolve();
        return false;
      }
      return true;
    });
  }

  private checkIdle(): void {
    if (this.idleWaiters.length === 0) return;
    if (this.scheduler.size === 0 && this.requestsInFlight === 0 && this.waitingJobs.length === 0) {
      for (const w of this.idleWaiters.splice(0)) w();
      this.draining = false;
    }
  }

  private reportGauges(): void {
    this.options.observer.opsInFlight(this.scheduler.queued, this.scheduler.inFlight);
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

function truncate(s: string): string {
  return s.length > 200 ? `${s.slice(0, 200)}…` : s;
}
