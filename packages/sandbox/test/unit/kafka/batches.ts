// Hand-built RecordBatch v2 bytes for the log and batch unit tests.
import { gzipSync } from 'node:zlib';
import { Writer } from '../../../src/kafka/codec.js';

/** A RecordBatch v2 with the given record timestamp deltas; gzip-compressed if asked. */
export function batchWith(deltas: readonly number[], options: { firstTimestamp?: number; gzip?: boolean; producerId?: number; baseSequence?: number } = {}): Buffer {
  const first = options.firstTimestamp ?? 1000;
  const records = new Writer();
  deltas.forEach((delta, i) => {
    const body = new Writer().int8(0).varLong(delta).varInt(i).varInt(-1).varInt(1).raw(Buffer.from('v')).varInt(0).toBuffer();
    records.varInt(body.length).raw(body);
  });
  let recordBytes = records.toBuffer();
  if (options.gzip === true) recordBytes = gzipSync(recordBytes);
  return new Writer()
    .int64(0).int32(49 + recordBytes.length).int32(0).int8(2).int32(0)
    .int16(options.gzip === true ? 1 : 0).int32(deltas.length - 1)
    .int64(first).int64(first + Math.max(...deltas))
    .int64(options.producerId ?? -1).int16(options.producerId === undefined ? -1 : 0).int32(options.baseSequence ?? -1)
    .int32(deltas.length).raw(recordBytes)
    .toBuffer();
}
