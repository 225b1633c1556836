import { TributaryError } from './errors.js';

/** What one response said about the rate limit. All instants are epoch ms on the caller's clock. */
export interface RateLimitInfo {
  readonly limit?: number;
  readonly remaining?: number;
  readonly resetAtMs?: number;
  readonly retryAfterMs?: number;
}

const LIMIT = ['x-ratelimit-limit', 'X-RateLimit-Limit', 'X-Ratelimit-Limit'];
const REMAINING = ['x-ratelimit-remaining', 'X-RateLimit-Remaining', 'X-Ratelimit-Remaining'];
const RESET = ['x-ratelimit-reset', 'X-RateLimit-Reset', 'X-Ratelimit-Reset'];
const BRAZE_RETRY_AFTER = ['x-ratelimit-retry-after', 'X-Ratelimit-Retry-After', 'X-RateLimit-Retry-After'];
const RETRY_AFTER = ['retry-after', 'Retry-After'];

/** Values of X-RateLimit-Reset above this are epoch seconds; below, seconds from now (braze-api.md §4). */
const EPOCH_SECONDS_THRESHOLD = 1e9;

/**
 * Read Braze's rate-limit headers (braze-api.md §4). Both documented styles: Reset as epoch seconds (general
 * page) or as seconds until the window resets (MAU plans), told apart by size; X-Ratelimit-Retry-After in
 * seconds on a 429. A generic Retry-After (seconds or HTTP date) is used when Braze's own header is absent.
 * `get` may be case-sensitive: every spelling is tried, lower case first (HTTP/2 sends lower case).
 */
export function parseRateLimitHeaders(get: (name: string) => string | undefined, now: number): RateLimitInfo {
  const read = (names: readonly string[]): string | undefined => {
    for (const name of names) {
      const v = get(name);
      if (v !== undefined && v.trim() !== '') return v.trim();
    }
    return undefined;
  };
  const info: { limit?: number; remaining?: number; resetAtMs?: number; retryAfterMs?: number } = {};
  const limit = seconds(read(LIMIT));
  if (limit !== undefined) info.limit = limit;
  const remaining = seconds(read(REMAINING));
  if (remaining !== undefined) info.remaining = remaining;
  const reset = seconds(read(RESET));
  if (reset !== undefined) info.resetAtMs = reset > EPOCH_SECONDS_THRESHOLD ? reset * 1000 : now + reset * 1000;
  const brazeRetry = seconds(read(BRAZE_RETRY_AFTER));
  if (brazeRetry !== undefined) {
    info.retryAfterMs = brazeRetry * 1000;
  } else {
    const generic = read(RETRY_AFTER);
    const s = seconds(generic);
    if (s !== undefined) info.retryAfterMs = s * 1000;
    else if (generic !== undefined) {
      const at = Date.parse(generic);
      if (Number.isFinite(at)) info.retryAfterMs = Math.max(0, at - now);
    }
  }
  return info;
}

/** A non-negative decimal number, or undefined. A header repeated by a proxy arrives comma-joined: the first counts. */
function seconds(v: string | undefined): number | undefined {
  const first = v?.split(',')[0].trim();
  if (first === undefined || !/^\d+(\.\d+)?$/.test(first)) return undefined;
  const n = Number(first);
  return Number.isFinite(n) ? n : undefined;
}

export interface RateBudgetOptions {
  /** Requests per window for the whole workspace (see DEFAULT_RATE_LIMITS). */
  readonly limit: number;
  readonly windowMs: number;
  /** This instance's fraction of the workspace budget, in (0, 1]. Default 1. */
  readonly share?: number;
  /** Longest pause any header or 429 can impose. Default: the larger of the window and one hour. */
  readonly maxPauseMs?: number;
  /** Pause after a 429 that says nothing about when to come back; doubles with each such 429 in a row. Default 1 s. */
  readonly base429PauseMs?: number;
  /** Cap of that doubling. Default 60 s. */
  readonly max429PauseMs?: number;
}

/**
 * The request budget of one Braze endpoint group (invariant 4).
 *
 * A sliding-window log rather than a token bucket: a bucket of capacity C refilled at C per window lets 2C
 * requests through in one window (a full bucket spent at once, then the refill), which would break Braze's
 * "C per window" whether Braze counts in fixed or sliding windows. The log keeps the instants of the last C
 * grants in a ring and grants only when the oldest is a full window old, so no interval of windowMs ever
 * holds more than C grants. C = floor(limit * share); N instances with share 1/N together stay under limit.
 *
 * On top of that, response headers slow it down (remaining spread evenly until the reset; at 0, a pause until
 * the reset) and 429s pause it. Pauses only ever extend to the latest instant asked for, so a burst of 429s
 * from requests already in flight does not stack pauses or release a burst of retries.
 */
export class RateBudget {
  private readonly limit: number;
  private readonly baseWindowMs: number;
  private readonly maxPauseMs: number;
  private readonly base429PauseMs: number;
  private readonly max429PauseMs: number;
  private currentShare = 1;
  private cap = 1;
  private window = 1;
  /** Instants of the last `cap` grants, oldest at `start`. */
  private ring: number[] = [];
  private start = 0;
  private pausedUntil = 0;
  private paceIntervalMs = 0;
  private paceUntilMs = 0;
  private lastGrantMs = Number.NEGATIVE_INFINITY;
  private streak429 = 0;
  private last429PauseEndMs = Number.NEGATIVE_INFINITY;

  constructor(opts: RateBudgetOptions) {
    const fail = (detail: string): never => {
      throw new TributaryError('invalid_rate_budget', `rate budget: ${detail}`);
    };
    if (!(Number.isFinite(opts.limit) && opts.limit > 0)) fail(`limit must be > 0, got ${opts.limit}`);
    if (!(Number.isFinite(opts.windowMs) && opts.windowMs > 0)) fail(`windowMs must be > 0, got ${opts.windowMs}`);
    this.limit = opts.limit;
    this.baseWindowMs = opts.windowMs;
    this.maxPauseMs = opts.maxPauseMs ?? Math.max(opts.windowMs, 3_600_000);
    this.base429PauseMs = opts.base429PauseMs ?? 1000;
    this.max429PauseMs = opts.max429PauseMs ?? 60_000;
    this.setShare(opts.share ?? 1);
  }

  /** 0 when a request may be sent now (the grant is recorded), else the ms to wait before asking again (>= 1). */
  tryAcquire(now: number): number {
    if (now < this.pausedUntil) return waitMs(this.pausedUntil - now);
    if (now < this.paceUntilMs && this.lastGrantMs + this.paceIntervalMs > now) {
      return waitMs(this.lastGrantMs + this.paceIntervalMs - now);
    }
    if (this.ring.length === this.cap) {
      const oldest = this.ring[this.start];
      if (now - oldest < this.window) return waitMs(oldest + this.window - now);
      this.ring[this.start] = now;
      this.start = (this.start + 1) % this.cap;
    } else {
      this.ring.push(now);
    }
    this.lastGrantMs = now;
    return 0;
  }

  /**
   * Feed every response's rate-limit headers. While remaining is low for the time left until the reset,
   * requests are spaced to spread this instance's share of it evenly; at 0, sending pauses until the reset.
   */
  observe(info: RateLimitInfo, now: number): void {
    if (info.remaining === undefined || info.resetAtMs === undefined) return;
    const untilMs = Math.min(info.resetAtMs, now + this.maxPauseMs);
    if (untilMs <= now) return;
    if (info.remaining <= 0) {
      this.pauseUntil(untilMs);
      return;
    }
    const ours = Math.max(1, Math.floor(info.remaining * this.currentShare));
    // Our own log already keeps us within the budget: pace only when Braze has less left than we would still
    // send in this window by ourselves (someone else uses the workspace too). Pacing on every answer would
    // slow us for nothing, since Braze's reset is in whole seconds and always looks later than it is.
    if (ours >= this.cap - this.grantsSince(now - this.window)) {
      this.paceUntilMs = 0;
      return;
    }
    const intervalMs = (untilMs - now) / ours;
    if (intervalMs > this.window / this.cap) {
      this.paceIntervalMs = intervalMs;
      this.paceUntilMs = untilMs;
    } else {
      // The newest answer shows room again (typically a new window): drop any earlier slowdown.
      this.paceUntilMs = 0;
    }
  }

  /**
   * A 429: pause until Retry-After, else until the reset, else for a pause that doubles with each 429 that
   * arrives soon after the previous pause ended. A 429 that arrives while already paused answers a request
   * sent before the pause and changes nothing.
   */
  on429(info: RateLimitInfo, now: number): void {
    if (info.retryAfterMs !== undefined) {
      this.pauseUntil(now + Math.min(info.retryAfterMs, this.maxPauseMs));
      return;
    }
    if (info.resetAtMs !== undefined && info.resetAtMs > now) {
      this.pauseUntil(Math.min(info.resetAtMs, now + this.maxPauseMs));
      return;
    }
    if (now < this.pausedUntil) return;
    this.streak429 = now - this.last429PauseEndMs <= this.baseWindowMs ? this.streak429 + 1 : 1;
    const pauseMs = Math.min(this.max429PauseMs, this.base429PauseMs * 2 ** (this.streak429 - 1), this.maxPauseMs);
    this.pauseUntil(now + pauseMs);
    this.last429PauseEndMs = now + pauseMs;
  }

  /** Change this instance's fraction of the workspace budget, e.g. when the consumer group grows or shrinks. */
  setShare(share: number): void {
    if (!(Number.isFinite(share) && share > 0 && share <= 1)) {
      throw new TributaryError('invalid_rate_budget', `rate budget: share must be in (0, 1], got ${share}`);
    }
    this.currentShare = share;
    const budget = this.limit * share;
    // Below one request per window, keep one request and stretch the window instead, so the rate stays exact.
    const cap = budget >= 1 ? Math.floor(budget) : 1;
    this.window = budget >= 1 ? this.baseWindowMs : this.baseWindowMs / budget;
    // Keep the most recent grants so the new capacity still counts what was just sent.
    const recent = this.grantsOldestFirst().slice(-cap);
    this.cap = cap;
    this.ring = recent;
    this.start = 0;
  }

  /** Sending is paused until this instant (0 when never paused). */
  get pausedUntilMs(): number {
    return this.pausedUntil;
  }

  get share(): number {
    return this.currentShare;
  }

  /** Requests this instance may send per `windowMs`. */
  get capacity(): number {
    return this.cap;
  }

  /** The window the capacity applies to (longer than the endpoint's when the share is below one request). */
  get windowMs(): number {
    return this.window;
  }

  private pauseUntil(untilMs: number): void {
    if (untilMs > this.pausedUntil) this.pausedUntil = untilMs;
  }

  /** Grants after `since` (the ring holds grant instants in order, oldest at `start`): a binary search. */
  private grantsSince(since: number): number {
    const n = this.ring.length;
    const at = (i: number) => this.ring[(this.start + i) % n]!;
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (at(mid) > since) hi = mid;
      else lo = mid + 1;
    }
    return n - lo;
  }

  private grantsOldestFirst(): number[] {
    return [...this.ring.slice(this.start), ...this.ring.slice(0, this.start)];
  }
}

function waitMs(ms: number): number {
  return Math.max(1, Math.ceil(ms));
}
