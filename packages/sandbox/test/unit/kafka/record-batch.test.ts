import { describe, expect, it } from 'vitest';
import {
  findRecordAtOrAfter, InvalidBatchError, readBaseOffset, readBatchHeader, splitRecordSet, writeBaseOffset,
} from '../../../src/kafka/record-batch.js';
import { batchWith } from './batches.js';

describe('kafka record batch header', () => {
  it('reads the header fields the broker needs', () => {
    const batch = batchWith([0, 5, 3], { firstTimestamp: 100, producerId: 7, baseSequence: 4 });
    expect(readBatchHeader(batch)).toMatchObject({
      sizeBytes: batch.length, lastOffsetDelta: 2, recordCount: 3, firstTimestamp: 100, maxTimestamp: 105,
      producerId: 7, producerEpoch: 0, baseSequence: 4,
    });
  });

  it('rewrites the base offset without touching the rest of the batch', () => {
    const batch = batchWith([0, 1]);
    const copy = Buffer.from(batch);
    writeBaseOffset(copy, 123_456);
    expect(readBaseOffset(copy)).toBe(123_456);
    expect(copy.subarray(8).equals(batch.subarray(8))).toBe(true);
  });

  it('splits a record set into whole batches and rejects truncated or old-format ones', () => {
    const a = batchWith([0]);
    const b = batchWith([0, 1, 2]);
    expect(splitRecordSet(Buffer.concat([a, b])).map((x) => x.header.recordCount)).toEqual([1, 3]);
    expect(() => splitRecordSet(Buffer.concat([a, b.subarray(0, b.length - 1)]))).toThrow(InvalidBatchError);
    expect(() => splitRecordSet(Buffer.alloc(0))).toThrow(InvalidBatchError);
    const magic1 = Buffer.from(a);
    magic1.writeInt8(1, 16);
    expect(() => splitRecordSet(magic1)).toThrow(expect.objectContaining({ unsupportedMagic: true }));
  });

  it('finds the first record at or after a timestamp, in plain and gzip batches', () => {
    for (const gzip of [false, true]) {
      const batch = batchWith([0, 10, 5, 20], { firstTimestamp: 1000, gzip });
      expect(findRecordAtOrAfter(batch, 900)).toEqual({ offsetDelta: 0, timestampMs: 1000 });
      expect(findRecordAtOrAfter(batch, 1006)).toEqual({ offsetDelta: 1, timestampMs: 1010 });
      expect(findRecordAtOrAfter(batch, 1015)).toEqual({ offsetDelta: 3, timestampMs: 1020 });
      expect(findRecordAtOrAfter(batch, 1021)).toBeNull();
    }
  });
});
