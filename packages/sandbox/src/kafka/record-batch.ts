// RecordBatch (magic 2) header access. The broker never re-encodes a batch: it reads the header,
// rewrites base_offset (bytes 0-7, outside the CRC) on append and serves the bytes as they are.
import { gunzipSync } from 'node:zlib';
import { Reader } from './codec.js';

export const BATCH_HEADER_BYTES = 61;
/** base_offset (8) + batch_length (4): the part of the header not counted by batch_length. */
const LOG_OVERHEAD_BYTES = 12;
const MAGIC_OFFSET = 16;
const ATTRIBUTES_OFFSET = 21;
const LAST_OFFSET_DELTA_OFFSET = 23;
const FIRST_TIMESTAMP_OFFSET = 27;
const MAX_TIMESTAMP_OFFSET = 35;
const PRODUCER_ID_OFFSET = 43;
const PRODUCER_EPOCH_OFFSET = 51;
const BASE_SEQUENCE_OFFSET = 53;
const RECORD_COUNT_OFFSET = 57;

const CODEC_NONE = 0;
const CODEC_GZIP = 1;
const TIMESTAMP_TYPE_BIT = 0x08;

/** The codec number of zstd in the attribute bits 0-2. */
export const ZSTD_CODEC = 4;

/** The compression codec of a stored batch (attribute bits 0-2), read from its bytes. */
export function batchCodec(batch: Buffer): number {
  return batch.readInt16BE(ATTRIBUTES_OFFSET) & 0x07;
}

export interface BatchHeader {
  readonly sizeBytes: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly firstTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: number;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

export class InvalidBatchError extends Error {
  constructor(message: string, readonly unsupportedMagic = false) {
    super(message);
    this.name = 'InvalidBatchError';
  }
}

/** Reads and checks the header of the batch starting at `pos`. */
export function readBatchHeader(buf: Buffer, pos = 0): BatchHeader {
  const available = buf.length - pos;
  if (available < LOG_OVERHEAD_BYTES + 5) throw new InvalidBatchError(`truncated batch header (${available} bytes)`);
  const magic = buf.readInt8(pos + MAGIC_OFFSET);
  if (magic !== 2) throw new InvalidBatchError(`record batch magic ${magic}; only magic 2 is supported`, true);
  if (available < BATCH_HEADER_BYTES) throw new InvalidBatchError(`truncated batch header (${available} bytes)`);
  const batchLength = buf.readInt32BE(pos + 8);
  const sizeBytes = LOG_OVERHEAD_BYTES + batchLength;
  if (sizeBytes < BATCH_HEADER_BYTES || sizeBytes > available) {
    throw new InvalidBatchError(`batch length ${batchLength} does not match the ${available} bytes given`);
  }
  const lastOffsetDelta = buf.readInt32BE(pos + LAST_OFFSET_DELTA_OFFSET);
  const recordCount = buf.readInt32BE(pos + RECORD_COUNT_OFFSET);
  if (lastOffsetDelta < 0 || recordCount < 0) {
    throw new InvalidBatchError(`negative last_offset_delta ${lastOffsetDelta} or record count ${recordCount}`);
  }
  return {
    sizeBytes,
    attributes: buf.readInt16BE(pos + ATTRIBUTES_OFFSET),
    lastOffsetDelta,
    firstTimestamp: Number(buf.readBigInt64BE(pos + FIRST_TIMESTAMP_OFFSET)),
    maxTimestamp: Number(buf.readBigInt64BE(pos + MAX_TIMESTAMP_OFFSET)),
    producerId: Number(buf.readBigInt64BE(pos + PRODUCER_ID_OFFSET)),
    producerEpoch: buf.readInt16BE(pos + PRODUCER_EPOCH_OFFSET),
    baseSequence: buf.readInt32BE(pos + BASE_SEQUENCE_OFFSET),
    recordCount,
  };
}

/** Splits a Produce record set into whole batches (kafkajs sends one; other clients may send more). */
export function splitRecordSet(records: Buffer): { batch: Buffer; header: BatchHeader }[] {
  if (records.length === 0) throw new InvalidBatchError('empty record set');
  const out: { batch: Buffer; header: BatchHeader }[] = [];
  let pos = 0;
  while (pos < records.length) {
    const header = readBatchHeader(records, pos);
    out.push({ batch: records.subarray(pos, pos + header.sizeBytes), header });
    pos += header.sizeBytes;
  }
  return out;
}

export function readBaseOffset(batch: Buffer): number {
  return Number(batch.readBigInt64BE(0));
}

export function writeBaseOffset(batch: Buffer, baseOffset: number): void {
  batch.writeBigInt64BE(BigInt(baseOffset), 0);
}

export function readLastOffsetDelta(batch: Buffer): number {
  return batch.readInt32BE(LAST_OFFSET_DELTA_OFFSET);
}

export function readMaxTimestamp(batch: Buffer): number {
  return Number(batch.readBigInt64BE(MAX_TIMESTAMP_OFFSET));
}

/**
 * The first record of `batch` with timestamp >= `timestampMs`, for ListOffsets by time. Only this
 * rare path looks at records. Codecs other than none and gzip fall back to the batch's first
 * offset; callers pick the batch by its max timestamp, so that answer is never too late.
 */
export function findRecordAtOrAfter(batch: Buffer, timestampMs: number): { offsetDelta: number; timestampMs: number } | null {
  const header = readBatchHeader(batch);
  if (header.maxTimestamp < timestampMs) return null;
  if ((header.attributes & TIMESTAMP_TYPE_BIT) !== 0) {
    // LogAppendTime: every record carries the batch's max timestamp.
    return { offsetDelta: 0, timestampMs: header.maxTimestamp };
  }
  const codec = header.attributes & 0x07;
  let records: Buffer;
  if (codec === CODEC_NONE) records = batch.subarray(BATCH_HEADER_BYTES, header.sizeBytes);
  else if (codec === CODEC_GZIP) records = gunzipSync(batch.subarray(BATCH_HEADER_BYTES, header.sizeBytes));
  else return { offsetDelta: 0, timestampMs: header.firstTimestamp };

  const r = new Reader(records);
  for (let i = 0; i < header.recordCount && r.remaining > 0; i++) {
    const length = r.varInt();
    const start = r.offset;
    r.int8(); // record attributes, unused
    const ts = header.firstTimestamp + r.varLong();
    const offsetDelta = r.varInt();
    if (ts >= timestampMs) return { offsetDelta, timestampMs: ts };
    r.skip(length - (r.offset - start));
  }
  return { offsetDelta: 0, timestampMs: header.firstTimestamp };
}
