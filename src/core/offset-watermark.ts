import { TributaryError } from './errors.js';

/**
 * Tracks one partition's read offsets and says how far it may be committed (invariant 1: a commit
 * never passes a record that is not yet delivered or dead-lettered).
 *
 * kafkajs hands offsets out as strings; they are kept as numbers, or bigints past 2^53 (int64 can exceed it).
 * Pending offsets sit in a FIFO in read order; done() only removes an offset from the pending set,
 * and committable() drops finished offsets off the head lazily, so both are amortised O(1).
 */
export class OffsetWatermark {
  /** Offsets in read order; entries before `head` are finished and dropped. */
  private order: Offset[] = [];
  private head = 0;
  /** Offsets tracked and not done yet. */
  private readonly open = new Set<Offset>();
  private lastTracked: Offset | null = null;
  private lastCommitted: Offset | null = null;

  /**
   * Record that `offset` was read. Offsets strictly increase per partition, gaps allowed. An offset not above
   * the last tracked one is a re-delivery (kafkajs fetches a batch again after an abandoned one) and is ignored:
   * if that offset is still open, either copy's done() finishes it, which is safe because done() means the
   * record's data reached Braze or the dead-letter topic; if it is finished, the watermark already passed it.
   */
  track(offset: string): void {
    const o = parseOffset(offset);
    if (this.lastTracked !== null && o <= this.lastTracked) return;
    this.lastTracked = o;
    this.order.push(o);
    this.open.add(o);
  }

  /** The record at `offset` is finished (delivered or dead-lettered). Idempotent; unknown offsets are ignored. */
  done(offset: string): void {
    this.open.delete(parseOffset(offset));
  }

  /**
   * The offset to commit (Kafka semantics: the next offset to read): the first tracked offset not done,
   * or the last tracked + 1 when all are done. Null when nothing was tracked or it equals the last commit.
   */
  committable(): string | null {
    const next = this.nextToRead();
    if (next === null || next === this.lastCommitted) return null;
    return next.toString();
  }

  markCommitted(offset: string): void {
    this.lastCommitted = parseOffset(offset);
  }

  /** Records tracked and not done. */
  get pending(): number {
    return this.open.size;
  }

  /** The offset last passed to markCommitted, or null. */
  get committed(): string | null {
    return this.lastCommitted === null ? null : this.lastCommitted.toString();
  }

  private nextToRead(): Offset | null {
    if (this.lastTracked === null) return null;
    while (this.head < this.order.length && !this.open.has(this.order[this.head])) this.head++;
    // Drop the finished prefix once it dominates the array, so memory follows the pending window, not history.
    if (this.head > 1024 && this.head * 2 > this.order.length) {
      this.order = this.order.slice(this.head);
      this.head = 0;
    }
    return this.head < this.order.length ? this.order[this.head]! : nextOffset(this.lastTracked);
  }
}

/**
 * An offset as a number while it is exact (below 2^53: always, in practice), else as a bigint. One value always
 * gets the same representation, so Set membership holds, and numbers and bigints compare correctly.
 */
function parseOffset(offset: string): Offset {
  const n = offset.length;
  if (n === 0) throw new TributaryError('invalid_offset', `not a Kafka offset: ${JSON.stringify(offset)}`);
  for (let i = 0; i < n; i++) {
    const c = offset.charCodeAt(i);
    if (c < 48 || c > 57) throw new TributaryError('invalid_offset', `not a Kafka offset: ${JSON.stringify(offset)}`);
  }
  if (n < 16) return Number(offset);
  const big = BigInt(offset);
  return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
}

type Offset = number | bigint;

function nextOffset(o: Offset): Offset {
  if (typeof o === 'bigint') return o + 1n;
  return o < Number.MAX_SAFE_INTEGER ? o + 1 : BigInt(o) + 1n;
}
