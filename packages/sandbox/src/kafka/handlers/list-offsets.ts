import { Writer } from '../codec.js';
import type { PartitionLog } from '../partition-log.js';
import { ErrorCode } from '../protocol.js';
import type { Handler } from './types.js';

const LATEST = -1;
const EARLIEST = -2;

interface Found {
  readonly errorCode: number;
  readonly timestampMs: number;
  readonly offset: number;
}

function lookup(log: PartitionLog | undefined, timestampMs: number): Found {
  if (log === undefined) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, timestampMs: -1, offset: -1 };
  if (timestampMs === LATEST) return { errorCode: ErrorCode.NONE, timestampMs: -1, offset: log.logEndOffset };
  if (timestampMs === EARLIEST) return { errorCode: ErrorCode.NONE, timestampMs: -1, offset: log.logStartOffset };
  const found = log.offsetForTimestamp(timestampMs);
  if (found === null) return { errorCode: ErrorCode.NONE, timestampMs: -1, offset: -1 };
  return { errorCode: ErrorCode.NONE, timestampMs: found.timestampMs, offset: found.offset };
}

/**
 * ListOffsets 0-3: latest (-1), earliest (-2) or the first record at or after a timestamp (-1 when
 * there is none). v0 answers with an array of offsets.
 */
export const handleListOffsets: Handler = (broker, body, ctx) => {
  const v = ctx.apiVersion;
  body.int32(); // replica_id
  // isolation_level: without transactions the last stable offset is the high watermark, so both
  // levels see the same latest offset.
  if (v >= 2) body.int8();
  const topics = body.array((r) => ({
    name: r.string(),
    partitions: r.array((r2) => {
      const partition = r2.int32();
      const timestampMs = r2.int64();
      const maxNumOffsets = v === 0 ? r2.int32() : 1;
      return { partition, timestampMs, maxNumOffsets };
    }),
  }));

  const w = new Writer();
  if (v >= 2) w.int32(0);
  w.array(topics, (w2, t) => {
    const topic = broker.topics.get(t.name);
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      const found = lookup(topic?.partitions[p.partition], p.timestampMs);
      w3.int32(p.partition).int16(found.errorCode);
      if (v === 0) {
        const offsets = found.offset >= 0 && p.maxNumOffsets > 0 ? [found.offset] : [];
        w3.array(offsets, (w4, o) => w4.int64(o));
      } else {
        w3.int64(found.timestampMs).int64(found.offset);
      }
    });
  });
  return w;
};
