import { describe, expect, it } from 'vitest';
import { PartitionLog } from '../../../src/kafka/partition-log.js';
import { readBaseOffset, readBatchHeader } from '../../../src/kafka/record-batch.js';
import { batchWith } from './batches.js';

function append(log: PartitionLog, batch: Buffer) {
  return log.append(Buffer.from(batch), readBatchHeader(batch));
}

describe('kafka partition log', () => {
  it('assigns consecutive offsets per record and advances the log end', () => {
    const log = new PartitionLog(1 << 30);
    expect(append(log, batchWith([0, 0, 0]))).toEqual({ kind: 'appended', baseOffset: 0 });
    expect(append(log, batchWith([0]))).toEqual({ kind: 'appended', baseOffset: 3 });
    expect(append(log, batchWith([0, 0]))).toEqual({ kind: 'appended', baseOffset: 4 });
    expect(log.logStartOffset).toBe(0);
    expect(log.logEndOffset).toBe(6);
  });

  it('reads from the batch containing the offset and respects byte limits after the first batch', () => {
    const log = new PartitionLog(1 << 30);
    for (let i = 0; i < 5; i++) append(log, batchWith([0, 0])); // offsets 0-9, two per batch
    const size = readBatchHeader(batchWith([0, 0])).sizeBytes;
    const bases = (offset: number, max: number, firstMax: number) => log.read(offset, max, firstMax).batches.map(readBaseOffset);
    expect(bases(5, 1 << 20, 0)).toEqual([4, 6, 8]);
    expect(bases(0, size * 2, 0)).toEqual([0, 2]);
    // The first batch is taken beyond max_bytes when allowed, never a partial one.
    expect(bases(3, 1, Number.POSITIVE_INFINITY)).toEqual([2]);
    expect(bases(3, 1, 1)).toEqual([]);
    expect(bases(10, 1 << 20, 0)).toEqual([]);
    expect(log.availableBytes(8, 1 << 20)).toBe(size);
  });

  it('drops the oldest batches beyond the retention cap but keeps the newest', () => {
    const size = readBatchHeader(batchWith([0])).sizeBytes;
    const log = new PartitionLog(size * 3);
    for (let i = 0; i < 10; i++) append(log, batchWith([0]));
    expect(log.logStartOffset).toBe(7);
    expect(log.logEndOffset).toBe(10);
    expect(log.read(7, 1 << 20, 0).batches.map(readBaseOffset)).toEqual([7, 8, 9]);
    expect(log.read(6, 1 << 20, Number.POSITIVE_INFINITY).batches).toEqual([]);

    const tiny = new PartitionLog(1);
    append(tiny, batchWith([0]));
    append(tiny, batchWith([0]));
    expect(tiny.batchCount).toBe(1);
    expect(tiny.logStartOffset).toBe(1);
  });

  it('keeps working after many batches are retired and the index is compacted', () => {
    const size = readBatchHeader(batchWith([0])).sizeBytes;
    const log = new PartitionLog(size * 10);
    for (let i = 0; i < 10_000; i++) append(log, batchWith([0]));
    expect(log.logStartOffset).toBe(9990);
    expect(log.read(9995, 1 << 20, 0).batches.map(readBaseOffset)).toEqual([9995, 9996, 9997, 9998, 9999]);
  });

  it('recognises an idempotent producer retrying one of its recent batches', () => {
    const log = new PartitionLog(1 << 30);
    const first = batchWith([0, 0], { producerId: 5, baseSequence: 0 });
    const second = batchWith([0], { producerId: 5, baseSequence: 2 });
    expect(append(log, first)).toEqual({ kind: 'appended', baseOffset: 0 });
    expect(append(log, second)).toEqual({ kind: 'appended', baseOffset: 2 });
    expect(append(log, first)).toEqual({ kind: 'duplicate', baseOffset: 0 });
    expect(append(log, second)).toEqual({ kind: 'duplicate', baseOffset: 2 });
    // Another producer with the same sequence numbers is not a duplicate.
    expect(append(log, batchWith([0, 0], { producerId: 6, baseSequence: 0 }))).toEqual({ kind: 'appended', baseOffset: 3 });
    expect(log.logEndOffset).toBe(5);
  });

  it('finds offsets by timestamp using the batch index', () => {
    const log = new PartitionLog(1 << 30);
    append(log, batchWith([0, 10], { firstTimestamp: 1000 })); // offsets 0-1 at 1000, 1010
    append(log, batchWith([0], { firstTimestamp: 900 })); // offset 2 at 900 (out of order)
    append(log, batchWith([0, 5], { firstTimestamp: 2000 })); // offsets 3-4 at 2000, 2005
    expect(log.offsetForTimestamp(0)).toEqual({ offset: 0, timestampMs: 1000 });
    expect(log.offsetForTimestamp(1005)).toEqual({ offset: 1, timestampMs: 1010 });
    expect(log.offsetForTimestamp(1011)).toEqual({ offset: 3, timestampMs: 2000 });
    expect(log.offsetForTimestamp(2003)).toEqual({ offset: 4, timestampMs: 2005 });
    expect(log.offsetForTimestamp(3000)).toBeNull();
  });
});
