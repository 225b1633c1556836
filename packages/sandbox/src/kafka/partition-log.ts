// One partition's log: stored batches in offset order, an in-memory index of their base offsets
// and max timestamps, the byte-capped retention, and the idempotent producers' last sequences.
import {
  type BatchHeader,
  findRecordAtOrAfter,
  readBaseOffset,
  readBatchHeader,
  writeBaseOffset,
} from './record-batch.js';

/** Where a partition's batches are persisted; memory-only partitions have none. */
export interface PartitionStore {
  append(batch: Buffer, baseOffset: number): void;
  /** Batches below `logStartOffset` are no longer needed. */
  retainFrom(logStartOffset: number): void;
  close(): void;
}

/** Kafka keeps the last five batches per producer to recognise retries. */
const PRODUCER_BATCHES_KEPT = 5;
/** Drop leading array slots once this many retired entries accumulate. */
const COMPACT_AFTER_ENTRIES = 4096;

interface ProducerBatch {
  readonly baseSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: number;
}

interface ProducerState {
  epoch: number;
  readonly recent: ProducerBatch[];
}

export type AppendResult =
  | { readonly kind: 'appended'; readonly baseOffset: number }
  | { readonly kind: 'duplicate'; readonly baseOffset: number }
  | { readonly kind: 'fenced' };

export interface ReadResult {
  readonly batches: Buffer[];
  readonly bytes: number;
}

export class PartitionLog {
  private batches: Buffer[] = [];
  private baseOffsets: number[] = [];
  private maxTimestamps: number[] = [];
  /** Running max of maxTimestamps, non-decreasing, so the timestamp lookup can binary search. */
  private runningMaxTimestamps: number[] = [];
  private head = 0;
  private retainedBytes = 0;
  private startOffset = 0;
  private endOffset = 0;
  private readonly producers = new Map<number, ProducerState>();
  private store: PartitionStore | null = null;

  constructor(private readonly retentionBytes: number) {}

  get logStartOffset(): number {
    return this.startOffset;
  }

  /** Next offset to be assigned; also the high watermark, as there are no replicas. */
  get logEndOffset(): number {
    return this.endOffset;
  }

  get sizeBytes(): number {
    return this.retainedBytes;
  }

  get batchCount(): number {
    return this.batches.length - this.head;
  }

  attachStore(store: PartitionStore): void {
    this.store = store;
  }

  /**
   * Restores a batch read back from disk (its base offset already assigned). Batches must come in
   * offset order; a batch that would overlap the log is ignored.
   */
  restore(batch: Buffer): void {
    const header = readBatchHeader(batch);
    const baseOffset = readBaseOffset(batch);
    if (baseOffset < this.endOffset) return;
    if (this.batchCount === 0) this.startOffset = baseOffset;
    this.index(batch, header, baseOffset);
    this.rememberProducerBatch(header, baseOffset);
    this.applyRetention();
  }

  /**
   * Appends a batch the broker now owns (the caller passes a private copy), rewriting its base
   * offset. A retry of one of an idempotent producer's recent batches returns the original offset.
   */
  append(batch: Buffer, header: BatchHeader): AppendResult {
    if (header.producerId >= 0) {
      const state = this.producers.get(header.producerId);
      if (state !== undefined) {
        if (header.producerEpoch < state.epoch) return { kind: 'fenced' };
        if (header.producerEpoch === state.epoch) {
          const lastSequence = header.baseSequence + header.lastOffsetDelta;
          for (const b of state.recent) {
            if (b.baseSequence === header.baseSequence && b.lastSequence === lastSequence) {
              return { kind: 'duplicate', baseOffset: b.baseOffset };
            }
          }
        }
      }
    }
    const baseOffset = this.endOffset;
    writeBaseOffset(batch, baseOffset);
    this.index(batch, header, baseOffset);
    this.rememberProducerBatch(header, baseOffset);
    this.store?.append(batch, baseOffset);
    this.applyRetention();
    return { kind: 'appended', baseOffset };
  }

  private index(batch: Buffer, header: BatchHeader, baseOffset: number): void {
    const prevMax = this.runningMaxTimestamps.length > 0
      ? this.runningMaxTimestamps[this.runningMaxTimestamps.length - 1]
      : Number.NEGATIVE_INFINITY;
    this.batches.push(batch);
    this.baseOffsets.push(baseOffset);
    this.maxTimestamps.push(header.maxTimestamp);
    this.runningMaxTimestamps.push(Math.max(prevMax, header.maxTimestamp));
    this.retainedBytes += batch.length;
    this.endOffset = baseOffset + header.lastOffsetDelta + 1;
  }

  private rememberProducerBatch(header: BatchHeader, baseOffset: number): void {
    if (header.producerId < 0) return;
    let state = this.producers.get(header.producerId);
    if (state === undefined || header.producerEpoch > state.epoch) {
      state = { epoch: header.producerEpoch, recent: [] };
      this.producers.set(header.producerId, state);
    }
    state.recent.push({
      baseSequence: header.baseSequence,
      lastSequence: header.baseSequence + header.lastOffsetDelta,
      baseOffset,
    });
    if (state.recent.length > PRODUCER_BATCHES_KEPT) state.recent.shift();
  }

  /** Drops the oldest batches beyond the byte cap, always keeping the newest batch. */
  private applyRetention(): void {
    if (this.retainedBytes <= this.retentionBytes) return;
    const before = this.head;
    while (this.retainedBytes > this.retentionBytes && this.batchCount > 1) {
      this.retainedBytes -= this.batches[this.head].length;
      // Release the buffer now; the slot is compacted away later.
      this.batches[this.head] = EMPTY;
      this.head++;
    }
    if (this.head === before) return;
    this.startOffset = this.baseOffsets[this.head];
    if (this.head >= COMPACT_AFTER_ENTRIES && this.head * 2 >= this.batches.length) {
      this.batches = this.batches.slice(this.head);
      this.baseOffsets = this.baseOffsets.slice(this.head);
      this.maxTimestamps = this.maxTimestamps.slice(this.head);
      this.runningMaxTimestamps = this.runningMaxTimestamps.slice(this.head);
      this.head = 0;
    }
    this.store?.retainFrom(this.startOffset);
  }

  /** Index of the batch containing `offset`; the offset must lie in [logStart, logEnd). */
  private batchIndexOf(offset: number): number {
    let lo = this.head;
    let hi = this.baseOffsets.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (this.baseOffsets[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /**
   * Whole batches from the one containing `fetchOffset`, while they fit in `maxBytes`. The first
   * batch is taken whenever it fits `firstBatchMaxBytes` (pass Infinity to always take it), so a
   * batch larger than the fetch limits can never stall a consumer.
   */
  read(fetchOffset: number, maxBytes: number, firstBatchMaxBytes: number): ReadResult {
    const batches: Buffer[] = [];
    let bytes = 0;
    if (fetchOffset < this.startOffset || fetchOffset >= this.endOffset || this.batchCount === 0) {
      return { batches, bytes };
    }
    for (let i = this.batchIndexOf(fetchOffset); i < this.batches.length; i++) {
      const b = this.batches[i];
      const limit = batches.length === 0 ? Math.max(maxBytes, firstBatchMaxBytes) : maxBytes;
      if (bytes + b.length > limit) break;
      batches.push(b);
      bytes += b.length;
    }
    return { batches, bytes };
  }

  /** Bytes a read from `fetchOffset` could return, capped at `capBytes` (for Fetch min_bytes). */
  availableBytes(fetchOffset: number, capBytes: number): number {
    if (fetchOffset < this.startOffset || fetchOffset >= this.endOffset || this.batchCount === 0) return 0;
    let bytes = 0;
    for (let i = this.batchIndexOf(fetchOffset); i < this.batches.length && bytes < capBytes; i++) {
      bytes += this.batches[i].length;
    }
    return bytes;
  }

  /** ListOffsets by time: the first record with timestamp >= `timestampMs`, or null. */
  offsetForTimestamp(timestampMs: number): { offset: number; timestampMs: number } | null {
    let lo = this.head;
    let hi = this.runningMaxTimestamps.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.runningMaxTimestamps[mid] >= timestampMs) hi = mid;
      else lo = mid + 1;
    }
    // The running max may include dropped batches, so step to the first retained batch that
    // really reaches the timestamp.
    for (let i = lo; i < this.batches.length; i++) {
      if (this.maxTimestamps[i] < timestampMs) continue;
      const found = findRecordAtOrAfter(this.batches[i], timestampMs);
      if (found !== null) return { offset: this.baseOffsets[i] + found.offsetDelta, timestampMs: found.timestampMs };
    }
    return null;
  }

  close(): void {
    this.store?.close();
    this.store = null;
  }
}

const EMPTY = Buffer.alloc(0);
