import { type Reader, Writer } from '../codec.js';
import type { Broker } from '../broker.js';
import type { PartitionLog } from '../partition-log.js';
import { ErrorCode } from '../protocol.js';
import type { Handler, ResponseBody } from './types.js';

interface FetchPartition {
  readonly partition: number;
  readonly fetchOffset: number;
  readonly maxBytes: number;
}

interface FetchRequest {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly FetchPartition[] }[];
}

interface PartitionAnswer {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly batches: Buffer[];
  readonly bytes: number;
}

interface Answer {
  readonly topics: { name: string; partitions: PartitionAnswer[] }[];
  readonly bytes: number;
  readonly hasError: boolean;
}

function parse(body: Reader): FetchRequest {
  body.int32(); // replica_id
  const maxWaitMs = body.int32();
  const minBytes = body.int32();
  const maxBytes = body.int32();
  body.int8(); // isolation_level: there are no transactions, both levels read the same
  const topics = body.array((r) => ({
    name: r.string(),
    partitions: r.array((r2) => ({ partition: r2.int32(), fetchOffset: r2.int64(), maxBytes: r2.int32() })),
  }));
  return { maxWaitMs, minBytes, maxBytes, topics };
}

/**
 * Collects whole stored batches, starting at the batch that holds each fetch offset. The first
 * batch of the response is always included, whatever its size (KIP-74): a partial batch decodes
 * to nothing in kafkajs and the consumer would stall. The first batch of each later partition may
 * exceed the partition limit if the response still has room; further batches respect both limits.
 */
function collect(broker: Broker, req: FetchRequest): Answer {
  let bytes = 0;
  let hasError = false;
  const responseMaxBytes = req.maxBytes > 0 ? req.maxBytes : Number.MAX_SAFE_INTEGER;
  const topics = req.topics.map((t) => {
    const topic = broker.topics.get(t.name);
    const partitions = t.partitions.map((p): PartitionAnswer => {
      const log = topic?.partitions[p.partition];
      if (log === undefined) {
        hasError = true;
        return { partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, batches: [], bytes: 0 };
      }
      const highWatermark = log.logEndOffset;
      if (p.fetchOffset < log.logStartOffset || p.fetchOffset > highWatermark) {
        hasError = true;
        return { partition: p.partition, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, batches: [], bytes: 0 };
      }
      const remaining = Math.max(0, responseMaxBytes - bytes);
      const limit = Math.min(Math.max(0, p.maxBytes), remaining);
      const firstLimit = bytes === 0 ? Number.POSITIVE_INFINITY : remaining;
      const read = log.read(p.fetchOffset, limit, firstLimit);
      bytes += read.bytes;
      return { partition: p.partition, errorCode: ErrorCode.NONE, highWatermark, batches: read.batches, bytes: read.bytes };
    });
    return { name: t.name, partitions };
  });
  return { topics, bytes, hasError };
}

function encode(answer: Answer): Writer {
  const w = new Writer();
  w.int32(0); // throttle_time_ms: kafkajs would obey anything else on the client side
  w.array(answer.topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partition).int16(p.errorCode).int64(p.highWatermark);
      w3.int64(p.highWatermark); // last_stable_offset: no transactions, so it is the high watermark
      w3.int32(0); // aborted_transactions: empty
      w3.int32(p.bytes);
      for (const b of p.batches) w3.raw(b);
    });
  });
  return w;
}

/**
 * Fetch 4. Answers at once when min_bytes are available, a partition has an error or max_wait_ms
 * is 0; otherwise parks until an append to one of the partitions satisfies min_bytes, the wait
 * runs out, the connection closes or the broker closes.
 */
export const handleFetch: Handler = (broker, body, ctx) => {
  const req = parse(body);
  const first = collect(broker, req);
  if (first.hasError || first.bytes >= req.minBytes || req.maxWaitMs <= 0 || broker.isClosing) return encode(first);

  const logs: PartitionLog[] = [];
  for (const t of req.topics) {
    const topic = broker.topics.get(t.name);
    for (const p of t.partitions) {
      const log = topic?.partitions[p.partition];
      if (log !== undefined) logs.push(log);
    }
  }

  return new Promise<ResponseBody>((resolve, reject) => {
    let done = false;
    let timer: NodeJS.Timeout | null = null;
    const cleanups: (() => void)[] = [];
    const settle = (): boolean => {
      if (done) return false;
      done = true;
      if (timer !== null) clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
      return true;
    };
    // These run from timers and from other connections' appends: a failure here must end only
    // this request (and its connection), never the caller or the process.
    const answer = (onlyIfReady: boolean): void => {
      if (done) return;
      try {
        const a = collect(broker, req);
        if (onlyIfReady && !a.hasError && a.bytes < req.minBytes) return;
        if (settle()) resolve(encode(a));
      } catch (err) {
        if (settle()) reject(err);
      }
    };
    for (const log of logs) cleanups.push(broker.watch(log, () => answer(true)));
    cleanups.push(broker.park(() => answer(false)));
    cleanups.push(ctx.onConnectionClose(() => {
      if (settle()) resolve(null);
    }));
    timer = setTimeout(() => answer(false), req.maxWaitMs);
  });
};
