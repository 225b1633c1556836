import { type Reader, Writer } from '../codec.js';
import type { Broker } from '../broker.js';
import type { PartitionLog } from '../partition-log.js';
import { ErrorCode } from '../protocol.js';
import { batchCodec, ZSTD_CODEC } from '../record-batch.js';
import type { Handler, ResponseBody } from './types.js';

interface FetchPartition {
  readonly partition: number;
  readonly fetchOffset: number;
  readonly maxBytes: number;
}

interface FetchRequest {
  readonly version: number;
  /** v7+: an incremental fetch in a session, which this broker never creates. */
  readonly incremental: boolean;
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly topics: readonly { readonly name: string; readonly partitions: readonly FetchPartition[] }[];
}

interface PartitionAnswer {
  readonly partition: number;
  readonly errorCode: number;
  readonly highWatermark: number;
  readonly logStartOffset: number;
  readonly batches: Buffer[];
  readonly bytes: number;
}

interface Answer {
  readonly topics: { name: string; partitions: PartitionAnswer[] }[];
  readonly bytes: number;
  readonly hasError: boolean;
}

/** The 7+ session fields: 0 / -1 is a sessionless full fetch, epoch 0 asks for a new session. */
const FULL_FETCH_EPOCHS = new Set([0, -1]);

function parse(body: Reader, version: number): FetchRequest {
  body.int32(); // replica_id
  const maxWaitMs = body.int32();
  const minBytes = body.int32();
  const maxBytes = body.int32();
  body.int8(); // isolation_level: there are no transactions, both levels read the same
  let incremental = false;
  if (version >= 7) {
    body.int32(); // session_id
    incremental = !FULL_FETCH_EPOCHS.has(body.int32()); // session_epoch
  }
  const topics = body.array((r) => ({
    name: r.string(),
    partitions: r.array((r2) => {
      const partition = r2.int32();
      if (version >= 9) r2.int32(); // current_leader_epoch: there are no leader changes
      const fetchOffset = r2.int64();
      if (version >= 5) r2.int64(); // log_start_offset: only followers send one
      return { partition, fetchOffset, maxBytes: r2.int32() };
    }),
  }));
  if (version >= 7) body.array((r) => [r.string(), r.array((r2) => r2.int32())]); // forgotten topics: no sessions
  if (version >= 11) body.string(); // rack_id: one node, so no preferred read replica
  return { version, incremental, maxWaitMs, minBytes, maxBytes, topics };
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
        return { partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, highWatermark: -1, logStartOffset: -1, batches: [], bytes: 0 };
      }
      const highWatermark = log.logEndOffset;
      const logStartOffset = log.logStartOffset;
      if (p.fetchOffset < logStartOffset || p.fetchOffset > highWatermark) {
        hasError = true;
        return { partition: p.partition, errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark, logStartOffset, batches: [], bytes: 0 };
      }
      const remaining = Math.max(0, responseMaxBytes - bytes);
      const limit = Math.min(Math.max(0, p.maxBytes), remaining);
      const firstLimit = bytes === 0 ? Number.POSITIVE_INFINITY : remaining;
      let { batches, bytes: partitionBytes } = log.read(p.fetchOffset, limit, firstLimit);
      // Before v10 a client may not know zstd (KIP-110): it gets the batches before the first zstd
      // one, and UNSUPPORTED_COMPRESSION_TYPE once that batch is the next to read.
      const zstdAt = req.version < 10 ? batches.findIndex((b) => batchCodec(b) === ZSTD_CODEC) : -1;
      if (zstdAt === 0) {
        hasError = true;
        return { partition: p.partition, errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, highWatermark, logStartOffset, batches: [], bytes: 0 };
      }
      if (zstdAt > 0) {
        batches = batches.slice(0, zstdAt);
        partitionBytes = batches.reduce((sum, b) => sum + b.length, 0);
      }
      bytes += partitionBytes;
      return { partition: p.partition, errorCode: ErrorCode.NONE, highWatermark, logStartOffset, batches, bytes: partitionBytes };
    });
    return { name: t.name, partitions };
  });
  return { topics, bytes, hasError };
}

function encode(version: number, answer: Answer, errorCode: number = ErrorCode.NONE): Writer {
  const w = new Writer();
  w.int32(0); // throttle_time_ms: kafkajs would obey anything else on the client side
  if (version >= 7) w.int16(errorCode).int32(0); // session_id 0: no fetch session was created
  w.array(answer.topics, (w2, t) => {
    w2.string(t.name);
    w2.array(t.partitions, (w3, p) => {
      w3.int32(p.partition).int16(p.errorCode).int64(p.highWatermark);
      w3.int64(p.highWatermark); // last_stable_offset: no transactions, so it is the high watermark
      if (version >= 5) w3.int64(p.logStartOffset);
      w3.int32(0); // aborted_transactions: empty
      if (version >= 11) w3.int32(-1); // preferred_read_replica: none, read from the leader
      w3.int32(p.bytes);
      for (const b of p.batches) w3.raw(b);
    });
  });
  return w;
}

/**
 * Fetch 4-11. There are no fetch sessions (KIP-227): every v7+ answer carries session id 0, so
 * clients keep sending full fetches, and an incremental fetch gets FETCH_SESSION_ID_NOT_FOUND.
 * Answers at once when min_bytes are available, a partition has an error or max_wait_ms is 0;
 * otherwise parks until an append to one of the partitions satisfies min_bytes, the wait runs out,
 * the connection closes or the broker closes.
 */
export const handleFetch: Handler = (broker, body, ctx) => {
  const req = parse(body, ctx.apiVersion);
  if (req.incremental) return encode(req.version, { topics: [], bytes: 0, hasError: true }, ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  const first = collect(broker, req);
  if (first.hasError || first.bytes >= req.minBytes || req.maxWaitMs <= 0 || broker.isClosing) return encode(req.version, first);

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
        if (settle()) resolve(encode(req.version, a));
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
