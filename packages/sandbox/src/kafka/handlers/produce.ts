import { Writer } from '../codec.js';
import { ErrorCode } from '../protocol.js';
import { InvalidBatchError, splitRecordSet, ZSTD_CODEC } from '../record-batch.js';
import type { Handler } from './types.js';

interface PartitionResult {
  readonly partition: number;
  readonly errorCode: number;
  readonly baseOffset: number;
  readonly logStartOffset: number;
}

/**
 * Produce 3-7 (RecordBatch v2 only). The requests of these versions are identical; the v5+ answer
 * adds the log start offset, and zstd batches need v7. Batches are stored as sent, with only the base offset rewritten;
 * nothing is decompressed or re-encoded. acks=0 gets no response at all.
 */
export const handleProduce: Handler = (broker, body, ctx) => {
  body.nullableString(); // transactional_id
  const acks = body.int16();
  body.int32(); // timeout: appends are synchronous, nothing waits for replicas
  const topics = body.array((r) => ({
    name: r.string(),
    partitions: r.array((r2) => ({ partition: r2.int32(), records: r2.nullableBytes() })),
  }));

  const validAcks = acks === 0 || acks === 1 || acks === -1;
  const results = topics.map((t) => {
    const topic = validAcks ? broker.getOrAutoCreate(t.name, true) : undefined;
    const partitions = t.partitions.map((p): PartitionResult => {
      if (!validAcks) return { partition: p.partition, errorCode: ErrorCode.INVALID_REQUIRED_ACKS, baseOffset: -1, logStartOffset: -1 };
      const log = topic?.partitions[p.partition];
      if (topic === undefined || log === undefined) return { partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, baseOffset: -1, logStartOffset: -1 };
      if (p.records === null) return { partition: p.partition, errorCode: ErrorCode.CORRUPT_MESSAGE, baseOffset: -1, logStartOffset: -1 };
      let batches;
      try {
        batches = splitRecordSet(p.records);
      } catch (err) {
        if (!(err instanceof InvalidBatchError)) throw err;
        broker.log(`kafka-sandbox: produce to ${t.name}/${p.partition} rejected: ${err.message}`);
        const errorCode = err.unsupportedMagic ? ErrorCode.UNSUPPORTED_FOR_MESSAGE_FORMAT : ErrorCode.CORRUPT_MESSAGE;
        return { partition: p.partition, errorCode, baseOffset: -1, logStartOffset: -1 };
      }
      // Kafka refuses the whole partition's append when one batch, counted with its 12-byte log overhead,
      // is larger than the topic's max.message.bytes; a batch of exactly that size is accepted.
      const tooLarge = batches.find((b) => b.header.sizeBytes > topic.maxMessageBytes);
      if (tooLarge !== undefined) {
        broker.log(`kafka-sandbox: produce to ${t.name}/${p.partition} rejected: a ${tooLarge.header.sizeBytes}-byte batch is larger than max.message.bytes ${topic.maxMessageBytes}`);
        return { partition: p.partition, errorCode: ErrorCode.MESSAGE_TOO_LARGE, baseOffset: -1, logStartOffset: -1 };
      }
      // Kafka accepts zstd from Produce v7 (KIP-110) and refuses it before.
      if (ctx.apiVersion < 7 && batches.some((b) => (b.header.attributes & 0x07) === ZSTD_CODEC)) {
        return { partition: p.partition, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, baseOffset: -1, logStartOffset: -1 };
      }
      let firstOffset = -1;
      let appended = false;
      for (const { batch, header } of batches) {
        // A private copy: the request buffer is reused, and the stored bytes get a new base offset.
        const result = log.append(Buffer.from(batch), header);
        if (result.kind === 'fenced') return { partition: p.partition, errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, baseOffset: -1, logStartOffset: -1 };
        if (result.kind === 'appended') appended = true;
        if (firstOffset < 0) firstOffset = result.baseOffset;
      }
      if (appended) broker.notifyAppend(log);
      return { partition: p.partition, errorCode: ErrorCode.NONE, baseOffset: firstOffset, logStartOffset: log.logStartOffset };
    });
    return { name: t.name, partitions };
  });

  if (acks === 0) return null;
  const w = new Writer();
  w.array(results, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partition).int16(p.errorCode).int64(p.baseOffset).int64(-1); // log_append_time: CreateTime
      if (ctx.apiVersion >= 5) w3.int64(p.logStartOffset);
    });
  });
  w.int32(0);
  return w;
};
