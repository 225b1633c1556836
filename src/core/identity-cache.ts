import type { IdentityAnswer } from './ops.js';
import { TributaryError } from './errors.js';

export interface IdentityCacheOptions {
  /** Most emails remembered; the least recently used is forgotten first. */
  readonly maxEntries: number;
  /** How long a found profile (or one this instance created) is trusted. */
  readonly foundTtlMs: number;
  /** How long "no profile holds this email" is trusted. Short: another system may create one. */
  readonly notFoundTtlMs: number;
}

interface Entry {
  readonly answer: IdentityAnswer;
  readonly expiresAtMs: number;
}

/**
 * Bounded LRU of look-up answers by email, positive and negative, each with its own time to live. Pure:
 * the caller passes `now`. A Map keeps insertion order, so re-inserting on a hit makes it the newest.
 */
export class IdentityCache {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: IdentityCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 0) {
      throw new TributaryError('invalid_identity_cache', `maxEntries must be an integer >= 0, got ${options.maxEntries}`);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  get(email: string, now: number): IdentityAnswer | null {
    const entry = this.entries.get(email);
    if (entry === undefined) return null;
    this.entries.delete(email);
    if (entry.expiresAtMs <= now) return null;
    this.entries.set(email, entry);
    return entry.answer;
  }

  set(email: string, answer: IdentityAnswer, now: number): void {
    if (this.options.maxEntries === 0) return;
    const ttl = answer.found ? this.options.foundTtlMs : this.options.notFoundTtlMs;
    if (ttl <= 0) return;
    this.entries.delete(email);
    this.entries.set(email, { answer, expiresAtMs: now + ttl });
    while (this.entries.size > this.options.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
  }
}
