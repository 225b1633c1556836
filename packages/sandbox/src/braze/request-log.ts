import type { BrazeSandboxRequest } from './types.js';

/** What GET /_sandbox/requests answers (409) and state.requests() throws in lean mode. */
export const REQUEST_LOG_OFF = 'this Braze sandbox runs in lean mode (lean: true, tributary sandbox --lean), which keeps no request log; '
  + 'use GET /_sandbox/counters, or start it without lean to inspect requests';

/** The last `capacity` requests, in a fixed-size ring so memory stays bounded under any load. */
export class RequestLog {
  private readonly entries: (BrazeSandboxRequest | undefined)[];
  private nextIndex = 0;
  private size = 0;
  private seq = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('requestLogSize must be a non-negative integer');
    this.entries = new Array(capacity);
  }

  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  add(entry: BrazeSandboxRequest): void {
    if (this.capacity === 0) return;
    this.entries[this.nextIndex] = entry;
    this.nextIndex = (this.nextIndex + 1) % this.capacity;
    if (this.size < this.capacity) this.size += 1;
  }

  /** Oldest first. */
  list(filter: { readonly limit?: number; readonly path?: string } = {}): BrazeSandboxRequest[] {
    const out: BrazeSandboxRequest[] = [];
    const start = (this.nextIndex - this.size + this.capacity) % Math.max(this.capacity, 1);
    for (let i = 0; i < this.size; i++) {
      const entry = this.entries[(start + i) % this.capacity];
      if (entry !== undefined && (filter.path === undefined || entry.path === filter.path)) out.push(entry);
    }
    if (filter.limit !== undefined && filter.limit >= 0 && out.length > filter.limit) {
      return out.slice(out.length - filter.limit);
    }
    return out;
  }

  clear(): void {
    this.entries.fill(undefined);
    this.nextIndex = 0;
    this.size = 0;
  }
}
