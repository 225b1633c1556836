import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Reader, Writer } from '../../../src/kafka/codec.js';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { ApiKey, SUPPORTED_VERSIONS } from '../../../src/kafka/protocol.js';
import { readBaseOffset, splitRecordSet } from '../../../src/kafka/record-batch.js';
import { kafkaClient, uniqueName } from './helpers.js';
import {
  buildRecordBatch, fetchBody, produceBody, RawClient, readFetchResponse, readProduceResponse,
} from './raw-client.js';

const UNSUPPORTED_VERSION = 35;

describe('kafka sandbox wire protocol', () => {
  let sandbox: KafkaSandbox;
  const clients: RawClient[] = [];

  beforeAll(async () => {
    sandbox = await startKafkaSandbox();
  });

  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });

  afterAll(async () => {
    await sandbox.close();
  });

  async function client(): Promise<RawClient> {
    const c = await RawClient.connect(sandbox.port);
    clients.push(c);
    return c;
  }

  function readVersions(r: Reader): { errorCode: number; ranges: { apiKey: number; min: number; max: number }[] } {
    const errorCode = r.int16();
    const ranges = r.array((x) => ({ apiKey: x.int16(), min: x.int16(), max: x.int16() }));
    return { errorCode, ranges };
  }

  async function brokerStillServes(): Promise<void> {
    const c = await client();
    const r = await c.request(ApiKey.ApiVersions, 0);
    expect(r.int16()).toBe(0);
  }

  async function produceRaw(c: RawClient, topic: string, batch: Buffer, partition = 0): Promise<{ errorCode: number; baseOffset: number }> {
    return readProduceResponse(await c.request(ApiKey.Produce, 3, produceBody(topic, partition, batch)));
  }

  it('advertises the version range of every API it implements', async () => {
    const c = await client();
    const r = await c.request(ApiKey.ApiVersions, 2);
    const { errorCode, ranges } = readVersions(r);
    expect(errorCode).toBe(0);
    expect(r.int32()).toBe(0); // throttle
    expect(r.remaining).toBe(0);
    // The table in docs/sandbox-kafka.md, key by key.
    expect(Object.fromEntries(ranges.map((x) => [x.apiKey, `${x.min}-${x.max}`]))).toEqual({
      [ApiKey.Produce]: '3-7',
      [ApiKey.Fetch]: '4-11',
      [ApiKey.ListOffsets]: '0-3',
      [ApiKey.Metadata]: '0-6',
      [ApiKey.OffsetCommit]: '0-5',
      [ApiKey.OffsetFetch]: '1-4',
      [ApiKey.FindCoordinator]: '0-2',
      [ApiKey.JoinGroup]: '0-5',
      [ApiKey.Heartbeat]: '0-3',
      [ApiKey.LeaveGroup]: '0-3',
      [ApiKey.SyncGroup]: '0-3',
      [ApiKey.DescribeGroups]: '0-2',
      [ApiKey.ListGroups]: '0-2',
      [ApiKey.ApiVersions]: '0-2',
      [ApiKey.CreateTopics]: '0-3',
      [ApiKey.DeleteTopics]: '0-1',
      [ApiKey.InitProducerId]: '0-1',
      [ApiKey.DeleteGroups]: '0-1',
    });
    expect(ranges).toHaveLength(SUPPORTED_VERSIONS.length);
  });

  it('answers an ApiVersions request newer than it knows with error 35 and the ranges in the v0 body', async () => {
    const c = await client();
    // v3 is flexible: header v2 with an empty tagged-field section, compact body strings.
    const body = Buffer.from([0x00, 0x05, ...Buffer.from('test'), 0x02, ...Buffer.from('1'), 0x00]);
    const r = await c.request(ApiKey.ApiVersions, 3, body);
    const { errorCode, ranges } = readVersions(r);
    expect(errorCode).toBe(UNSUPPORTED_VERSION);
    expect(ranges.find((x) => x.apiKey === ApiKey.ApiVersions)).toEqual({ apiKey: 18, min: 0, max: 2 });
    expect(r.remaining).toBe(0);
  });

  it('answers an unknown API key and an unsupported version with error 35 and keeps the connection', async () => {
    const c = await client();
    const unknown = await c.request(999, 0);
    expect(unknown.int16()).toBe(UNSUPPORTED_VERSION);
    const tooOld = await c.request(ApiKey.Produce, 2, Buffer.alloc(10));
    expect(tooOld.int16()).toBe(UNSUPPORTED_VERSION);
    const ok = await c.request(ApiKey.ApiVersions, 1);
    expect(ok.int16()).toBe(0);
  });

  it('answers pipelined requests, several frames in one chunk and frames split byte by byte', async () => {
    const c = await client();
    const a = c.frame(ApiKey.ApiVersions, 0, Buffer.alloc(0));
    const b = c.frame(ApiKey.Metadata, 1, new Writer().int32(0).toBuffer());
    const d = c.frame(ApiKey.ApiVersions, 2, Buffer.alloc(0));
    c.writeRaw(Buffer.concat([a.bytes, b.bytes]));
    for (const byte of d.bytes) {
      c.writeRaw(Buffer.from([byte]));
      await new Promise((r) => setImmediate(r));
    }
    const [ra, rb, rd] = await Promise.all([c.response(a.correlationId), c.response(b.correlationId), c.response(d.correlationId)]);
    expect(ra.int16()).toBe(0);
    expect(rb.int32()).toBe(1); // one broker
    expect(rd.int16()).toBe(0);
  });

  it('closes only the connection that sends garbage', async () => {
    const bad = await client();
    const good = await client();
    // A plausible size followed by a header too short to parse.
    bad.writeRaw(Buffer.from([0, 0, 0, 3, 0xde, 0xad, 0xbe]));
    await bad.closed;
    expect((await good.request(ApiKey.ApiVersions, 0)).int16()).toBe(0);
    await brokerStillServes();
  });

  it('closes a connection that announces an oversized or negative frame', async () => {
    const huge = await client();
    huge.writeRaw(Buffer.from([0x7f, 0xff, 0xff, 0xff, 1, 2, 3]));
    await huge.closed;
    const negative = await client();
    negative.writeRaw(Buffer.from([0xff, 0xff, 0xff, 0xfe]));
    await negative.closed;
    await brokerStillServes();
  });

  it('closes a connection whose request body does not parse and keeps serving kafkajs', async () => {
    const c = await client();
    // Metadata v1 claiming 5 topic names but carrying none.
    c.send(ApiKey.Metadata, 1, new Writer().int32(5).toBuffer());
    await c.closed;

    const admin = kafkaClient(sandbox.brokers).admin();
    await admin.connect();
    const topic = uniqueName('after-garbage');
    await admin.createTopics({ topics: [{ topic }] });
    expect(await admin.listTopics()).toContain(topic);
    await admin.disconnect();
  });

  it('returns the original offset when an idempotent producer resends a batch', async () => {
    const c = await client();
    const topic = uniqueName('idem');
    const init = await c.request(ApiKey.InitProducerId, 0, new Writer().nullableString(null).int32(60_000).toBuffer());
    init.int32();
    expect(init.int16()).toBe(0);
    const producerId = init.int64();
    const epoch = init.int16();

    const records = [{ key: 'a', value: '1' }, { key: 'b', value: '2' }];
    const first = buildRecordBatch({ records, producerId, producerEpoch: epoch, baseSequence: 0 });
    const second = buildRecordBatch({ records, producerId, producerEpoch: epoch, baseSequence: 2 });

    expect(await produceRaw(c, topic, first)).toEqual({ errorCode: 0, baseOffset: 0 });
    expect(await produceRaw(c, topic, first)).toEqual({ errorCode: 0, baseOffset: 0 });
    expect(await produceRaw(c, topic, second)).toEqual({ errorCode: 0, baseOffset: 2 });
    expect(await produceRaw(c, topic, first)).toEqual({ errorCode: 0, baseOffset: 0 });

    const fetched = readFetchResponse(await c.request(ApiKey.Fetch, 4, fetchBody(topic, 0, 0)));
    expect(fetched.highWatermark).toBe(4);
    expect(splitRecordSet(fetched.records).map((b) => readBaseOffset(b.batch))).toEqual([0, 2]);
  });

  it('stores batches byte for byte apart from the base offset', async () => {
    const c = await client();
    const topic = uniqueName('bytes');
    const batch = buildRecordBatch({ records: [{ key: null, value: 'x' }, { key: 'k', value: null }] });
    await produceRaw(c, topic, buildRecordBatch({ records: [{ key: null, value: 'first' }] }));
    expect(await produceRaw(c, topic, batch)).toEqual({ errorCode: 0, baseOffset: 1 });

    const fetched = readFetchResponse(await c.request(ApiKey.Fetch, 4, fetchBody(topic, 0, 1)));
    const stored = splitRecordSet(fetched.records).map((b) => b.batch);
    expect(stored).toHaveLength(1);
    expect(readBaseOffset(stored[0])).toBe(1);
    expect(stored[0].subarray(8).equals(batch.subarray(8))).toBe(true);
  });

  it('sends no response for acks=0 and still answers the next request', async () => {
    const c = await client();
    const topic = uniqueName('acks0');
    const silent = c.send(ApiKey.Produce, 3, produceBody(topic, 0, buildRecordBatch({ records: [{ key: null, value: 'v' }] }), 0));
    const next = await c.request(ApiKey.ApiVersions, 0);
    expect(next.int16()).toBe(0);
    expect(c.unclaimedResponses).toBe(0);
    await expect(c.response(silent, 200)).rejects.toThrow(/no response/);
    const fetched = readFetchResponse(await c.request(ApiKey.Fetch, 4, fetchBody(topic, 0, 0)));
    expect(fetched.highWatermark).toBe(1);
  });

  it('starts a fetch at the batch holding the offset and flags offsets outside the log', async () => {
    const c = await client();
    const topic = uniqueName('fetch');
    await produceRaw(c, topic, buildRecordBatch({ records: [{ key: null, value: 'a' }, { key: null, value: 'b' }, { key: null, value: 'c' }] }));
    await produceRaw(c, topic, buildRecordBatch({ records: [{ key: null, value: 'd' }] }));

    const middle = readFetchResponse(await c.request(ApiKey.Fetch, 4, fetchBody(topic, 0, 1)));
    expect(middle.errorCode).toBe(0);
    expect(splitRecordSet(middle.records).map((b) => readBaseOffset(b.batch))).toEqual([0, 3]);

    const beyond = readFetchResponse(await c.request(ApiKey.Fetch, 4, fetchBody(topic, 0, 5)));
    expect(beyond.errorCode).toBe(1);
    expect(beyond.highWatermark).toBe(4);

    const atEnd = readFetchResponse(await c.request(ApiKey.Fetch, 4, fetchBody(topic, 0, 4)));
    expect(atEnd).toMatchObject({ errorCode: 0, highWatermark: 4 });
    expect(atEnd.records.length).toBe(0);
  });

  it('always returns the first whole batch even when it exceeds max_bytes', async () => {
    const c = await client();
    const topic = uniqueName('maxbytes');
    const big = 'x'.repeat(5000);
    await produceRaw(c, topic, buildRecordBatch({ records: [{ key: null, value: big }] }));
    await produceRaw(c, topic, buildRecordBatch({ records: [{ key: null, value: big }] }));
    const fetched = readFetchResponse(await c.request(ApiKey.Fetch, 4, fetchBody(topic, 0, 0, { maxBytes: 100, partitionMaxBytes: 100 })));
    const batches = splitRecordSet(fetched.records);
    expect(batches).toHaveLength(1);
    expect(batches[0].header.sizeBytes).toBeGreaterThan(5000);
  });

  it('wakes a parked fetch when data arrives while other connections carry on', async () => {
    const topic = uniqueName('park');
    const poller = await client();
    const other = await client();
    await produceRaw(other, topic, buildRecordBatch({ records: [{ key: null, value: 'first' }] }));

    const parked = poller.send(ApiKey.Fetch, 4, fetchBody(topic, 0, 1, { maxWaitMs: 20_000 }));
    // The parked fetch holds up nothing on the other connection.
    for (let i = 0; i < 3; i++) expect((await other.request(ApiKey.ApiVersions, 0)).int16()).toBe(0);
    expect(poller.unclaimedResponses).toBe(0);

    await produceRaw(other, topic, buildRecordBatch({ records: [{ key: null, value: 'second' }] }));
    const woken = readFetchResponse(await poller.response(parked));
    expect(woken.errorCode).toBe(0);
    expect(splitRecordSet(woken.records).map((b) => readBaseOffset(b.batch))).toEqual([1]);
  });

  it('answers a parked fetch with what it has when max_wait_ms runs out', async () => {
    const c = await client();
    const topic = uniqueName('wait');
    await produceRaw(c, topic, buildRecordBatch({ records: [{ key: null, value: 'small' }] }));
    const fetched = readFetchResponse(await c.request(ApiKey.Fetch, 4, fetchBody(topic, 0, 0, { maxWaitMs: 100, minBytes: 1_000_000 })));
    expect(splitRecordSet(fetched.records)).toHaveLength(1);
  });
});

describe('kafka sandbox shutdown', () => {
  function joinBody(groupId: string, memberId: string): Buffer {
    return new Writer()
      .string(groupId).int32(10_000).int32(10_000).string(memberId).string('consumer')
      .int32(1).string('range').bytes(Buffer.alloc(0))
      .toBuffer();
  }

  it('answers parked fetches and joins, then ends the connections, when it closes', async () => {
    const sandbox = await startKafkaSandbox();
    const clients = await Promise.all([0, 1, 2, 3].map(() => RawClient.connect(sandbox.port)));
    const [fetcher, first, second, probe] = clients;
    try {
      const topic = uniqueName('closing');
      const groupId = uniqueName('g');
      await produceOne(probe, topic);
      const parkedFetch = fetcher.send(ApiKey.Fetch, 4, fetchBody(topic, 0, 1, { maxWaitMs: 20_000 }));

      // The first member completes a generation alone; the second then waits for it to rejoin.
      const joined = await first.request(ApiKey.JoinGroup, 1, joinBody(groupId, ''));
      expect(joined.int16()).toBe(0);
      const parkedJoin = second.send(ApiKey.JoinGroup, 1, joinBody(groupId, ''));

      // A round trip on another connection: the server has read the earlier frames by now.
      await probe.request(ApiKey.ApiVersions, 0);
      const fetchAnswer = fetcher.response(parkedFetch);
      const joinAnswer = second.response(parkedJoin);
      await sandbox.close();

      const fetched = readFetchResponse(await fetchAnswer);
      expect(fetched).toMatchObject({ errorCode: 0, highWatermark: 1 });
      expect(fetched.records.length).toBe(0);
      expect((await joinAnswer).int16()).toBe(15); // COORDINATOR_NOT_AVAILABLE
      await Promise.all(clients.map((c) => c.closed));
    } finally {
      for (const c of clients) c.close();
      await sandbox.close();
    }
  });
});

async function produceOne(c: RawClient, topic: string): Promise<void> {
  const r = readProduceResponse(await c.request(ApiKey.Produce, 3, produceBody(topic, 0, buildRecordBatch({ records: [{ key: null, value: 'v' }] }))));
  expect(r.errorCode).toBe(0);
}
