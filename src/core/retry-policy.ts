import { TributaryError } from './errors.js';

export interface RetryPolicy {
  /** Attempts in total, the first send included (Number.MAX_SAFE_INTEGER: as many as it takes). */
  readonly maxAttempts: number;
  /** Give up once this long has passed since the first failure; undefined: never. */
  readonly maxElapsedMs?: number;
  /** Ceiling of the first retry's delay. */
  readonly baseMs: number;
  /** Ceiling of any delay. */
  readonly maxMs: number;
}

/**
 * Full-jitter exponential backoff: a uniform delay in [0, min(maxMs, baseMs * 2^(attempt-1))).
 * Full jitter spreads the retries of many requests that failed together (a 5xx burst, a network blip),
 * so they do not come back as a synchronised wave. `attempt` is 1 for the first retry; `random` returns [0, 1).
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  // 2 ** (n - 1) reaches Infinity for large n; min() then settles on maxMs.
  const ceilingMs = Math.max(0, Math.min(policy.maxMs, policy.baseMs * 2 ** (n - 1)));
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0;
  return Math.floor(unit * ceilingMs);
}

/** Whether an op that has made `attemptsMade` attempts may be sent again. */
export function canRetry(attemptsMade: number, policy: RetryPolicy): boolean {
  return attemptsMade < policy.maxAttempts;
}

/** Fail fast on a policy that would never retry sensibly. */
export function validateRetryPolicy(policy: RetryPolicy): RetryPolicy {
  const { maxAttempts, baseMs, maxMs } = policy;
  if (!Number.isInteger(maxAttempts) || maxAttempts < 1) {
    throw new TributaryError('invalid_retry_policy', `maxAttempts must be an integer >= 1, got ${maxAttempts}`);
  }
  if (!Number.isFinite(baseMs) || baseMs < 0) throw new TributaryError('invalid_retry_policy', `baseMs must be >= 0, got ${baseMs}`);
  if (!Number.isFinite(maxMs) || maxMs < baseMs) {
    throw new TributaryError('invalid_retry_policy', `maxMs must be >= baseMs (${baseMs}), got ${maxMs}`);
  }
  return policy;
}
