// A bare Kafka wire-protocol client for tests that need exact bytes: hand-built requests, garbage,
// pipelining and split frames. Uses the sandbox's own codec for the primitive types.
import { createRequire } from 'node:module';
import { connect, type Socket } from 'node:net';
import { Reader, Writer } from '../../../src/kafka/codec.js';
import { FrameDecoder } from '../../../src/kafka/frame-decoder.js';

/** kafkajs's CRC-32C, so that hand-built batches pass a real broker's check too. */
const crc32c = createRequire(import.meta.url)('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (bytes: Buffer) => number;

export class RawClient {
  private readonly decoder = new FrameDecoder(512 * 1024 * 1024);
  private readonly responses = new Map<number, Buffer>();
  private readonly waiting = new Map<number, (body: Buffer) => void>();
  private nextCorrelationId = 1;
  readonly closed: Promise<void>;

  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) {
        const correlationId = frame.readInt32BE(0);
        const body = frame.subarray(4);
        const waiter = this.waiting.get(correlationId);
        if (waiter !== undefined) {
          this.waiting.delete(correlationId);
          waiter(body);
        } else {
          this.responses.set(correlationId, body);
        }
      }
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => resolve()));
  }

  static async connect(port: number, host = '127.0.0.1'): Promise<RawClient> {
    const socket = connect(port, host);
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new RawClient(socket);
  }

  /** A request frame (size prefix, header v1, body) without sending it. */
  frame(apiKey: number, apiVersion: number, body: Buffer, correlationId = this.nextCorrelationId++): { correlationId: number; bytes: Buffer } {
    const header = new Writer().int16(apiKey).int16(apiVersion).int32(correlationId).nullableString('raw-client').toBuffer();
    const size = Buffer.alloc(4);
    size.writeInt32BE(header.length + body.length, 0);
    return { correlationId, bytes: Buffer.concat([size, header, body]) };
  }

  /** Sends a request and returns its correlation id. */
  send(apiKey: number, apiVersion: number, body: Buffer = Buffer.alloc(0)): number {
    const { correlationId, bytes } = this.frame(apiKey, apiVersion, body);
    this.socket.write(bytes);
    return correlationId;
  }

  writeRaw(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** The response body (after the correlation id) for `correlationId`. */
  response(correlationId: number, timeoutMs = 5000): Promise<Reader> {
    const ready = this.responses.get(correlationId);
    if (ready !== undefined) {
      this.responses.delete(correlationId);
      return Promise.resolve(new Reader(ready));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(correlationId);
        reject(new Error(`no response for correlation id ${correlationId} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(correlationId, (body) => {
        clearTimeout(timer);
        resolve(new Reader(body));
      });
      this.closed.then(() => {
        clearTimeout(timer);
        if (this.waiting.delete(correlationId)) reject(new Error(`connection closed before correlation id ${correlationId} was answered`));
      }, () => {});
    });
  }

  /** Responses received for ids nobody asked for yet (to check that none arrived). */
  get unclaimedResponses(): number {
    return this.responses.size;
  }

  async request(apiKey: number, apiVersion: number, body: Buffer = Buffer.alloc(0)): Promise<Reader> {
    return this.response(this.send(apiKey, apiVersion, body));
  }

  /** Like request(), but returns the raw response body (for decoders other than our Reader). */
  async requestBytes(apiKey: number, apiVersion: number, body: Buffer = Buffer.alloc(0)): Promise<Buffer> {
    const reader = await this.request(apiKey, apiVersion, body);
    const bytes: number[] = [];
    while (reader.remaining > 0) bytes.push(reader.int8() & 0xff);
    return Buffer.from(bytes);
  }

  close(): void {
    this.socket.destroy();
  }
}

export interface RawRecord {
  readonly key: string | null;
  readonly value: string | null;
  readonly timestampDelta?: number;
}

/**
 * A RecordBatch v2 as a producer would send it (base offset 0, uncompressed), with its CRC-32C, so
 * that real Kafka takes it too (the sandbox does not check the CRC).
 */
export function buildRecordBatch(options: {
  records: readonly RawRecord[];
  firstTimestamp?: number;
  producerId?: number;
  producerEpoch?: number;
  baseSequence?: number;
}): Buffer {
  const firstTimestamp = options.firstTimestamp ?? 1_700_000_000_000;
  const records = new Writer();
  let maxTimestamp = firstTimestamp;
  options.records.forEach((r, i) => {
    const delta = r.timestampDelta ?? 0;
    maxTimestamp = Math.max(maxTimestamp, firstTimestamp + delta);
    const body = new Writer();
    body.int8(0).varLong(delta).varInt(i);
    const key = r.key === null ? null : Buffer.from(r.key);
    const value = r.value === null ? null : Buffer.from(r.value);
    body.varInt(key === null ? -1 : key.length);
    if (key !== null) body.raw(key);
    body.varInt(value === null ? -1 : value.length);
    if (value !== null) body.raw(value);
    body.varInt(0); // headers
    const bytes = body.toBuffer();
    records.varInt(bytes.length).raw(bytes);
  });
  const recordBytes = records.toBuffer();
  const w = new Writer();
  w.int64(0);
  w.int32(49 + recordBytes.length); // batch length: everything after this field
  w.int32(0); // partition leader epoch
  w.int8(2); // magic
  w.int32(0); // crc, filled in below
  w.int16(0); // attributes
  w.int32(options.records.length - 1);
  w.int64(firstTimestamp).int64(maxTimestamp);
  w.int64(options.producerId ?? -1).int16(options.producerEpoch ?? -1).int32(options.baseSequence ?? -1);
  w.int32(options.records.length);
  w.raw(recordBytes);
  const batch = w.toBuffer();
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17); // covers attributes to the end
  return batch;
}

export function produceBody(topic: string, partition: number, batch: Buffer, acks = 1): Buffer {
  return new Writer()
    .nullableString(null).int16(acks).int32(5000)
    .int32(1).string(topic).int32(1).int32(partition).bytes(batch)
    .toBuffer();
}

/** Parses a Produce v3 response with one topic and one partition. */
export function readProduceResponse(r: Reader): { errorCode: number; baseOffset: number } {
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  r.int32();
  const errorCode = r.int16();
  const baseOffset = r.int64();
  return { errorCode, baseOffset };
}

export function fetchBody(topic: string, partition: number, fetchOffset: number, options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number } = {}): Buffer {
  return new Writer()
    .int32(-1).int32(options.maxWaitMs ?? 0).int32(options.minBytes ?? 1).int32(options.maxBytes ?? 10_000_000).int8(0)
    .int32(1).string(topic).int32(1).int32(partition).int64(fetchOffset).int32(options.partitionMaxBytes ?? 1_000_000)
    .toBuffer();
}

/** Parses a Fetch v4 response with one topic and one partition. */
export function readFetchResponse(r: Reader): { errorCode: number; highWatermark: number; records: Buffer } {
  r.int32(); // throttle
  r.int32(); // topics
  r.string();
  r.int32(); // partitions
  r.int32();
  const errorCode = r.int16();
  const highWatermark = r.int64();
  r.int64(); // last stable offset
  r.array((x) => [x.int64(), x.int64()]);
  const records = r.bytes();
  return { errorCode, highWatermark, records };
}
