// Hand-built requests at an old and a new version of every API whose range grew for kafkajs's
// Kafka 4.x versions, read back field by field: each answer must end exactly where its layout
// (apache/kafka clients/src/main/resources/common/message/*.json) says it does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Reader, Writer } from '../../../src/kafka/codec.js';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { ApiKey, ErrorCode } from '../../../src/kafka/protocol.js';
import { uniqueName, waitFor } from './helpers.js';
import { buildRecordBatch, produceBody, RawClient } from './raw-client.js';

const CLIENT_ID = 'raw-client'; // what RawClient puts in every request header

function end(r: Reader): void {
  expect(r.remaining).toBe(0);
}

describe('kafka sandbox raw requests at old and new versions', () => {
  let sandbox: KafkaSandbox;
  let c: RawClient;
  const brokerLog: string[] = [];

  beforeAll(async () => {
    sandbox = await startKafkaSandbox({ partitions: 1, log: (line) => brokerLog.push(line) });
    c = await RawClient.connect(sandbox.port);
  });

  afterAll(async () => {
    c.close();
    await sandbox.close();
  });

  const ask = (apiKey: number, version: number, body: Writer): Promise<Reader> => c.request(apiKey, version, body.toBuffer());

  async function produce(version: number, topic: string, value: string): Promise<{ baseOffset: number; logStartOffset?: number }> {
    const r = await c.request(ApiKey.Produce, version, produceBody(topic, 0, buildRecordBatch({ records: [{ key: null, value }] })));
    expect(r.int32()).toBe(1);
    expect(r.string()).toBe(topic);
    expect(r.int32()).toBe(1);
    expect(r.int32()).toBe(0); // partition
    expect(r.int16()).toBe(ErrorCode.NONE);
    const baseOffset = r.int64();
    expect(r.int64()).toBe(-1); // log_append_time
    const logStartOffset = version >= 5 ? r.int64() : undefined;
    expect(r.int32()).toBe(0); // throttle_time_ms, last from v1
    end(r);
    return { baseOffset, logStartOffset };
  }

  it('Produce 3 and 7: v7 adds the log start offset to each partition', async () => {
    const topic = uniqueName('raw-p');
    expect(await produce(3, topic, 'a')).toEqual({ baseOffset: 0, logStartOffset: undefined });
    expect(await produce(7, topic, 'b')).toEqual({ baseOffset: 1, logStartOffset: 0 });
  });

  it('Fetch 4 and 11: log start offset, sessionless answers, rack id and preferred read replica', async () => {
    const topic = uniqueName('raw-f');
    await produce(7, topic, 'a');
    await produce(7, topic, 'b');

    const v4 = await ask(ApiKey.Fetch, 4, new Writer()
      .int32(-1).int32(0).int32(1).int32(1 << 20).int8(0)
      .int32(1).string(topic).int32(1).int32(0).int64(1).int32(1 << 20));
    expect(v4.int32()).toBe(0); // throttle
    expect(v4.int32()).toBe(1);
    expect(v4.string()).toBe(topic);
    expect(v4.int32()).toBe(1);
    expect([v4.int32(), v4.int16(), v4.int64(), v4.int64()]).toEqual([0, 0, 2, 2]); // partition, error, hw, lso
    expect(v4.int32()).toBe(0); // aborted transactions
    expect(v4.bytes().readBigInt64BE(0)).toBe(1n); // the batch holding offset 1
    end(v4);

    // A v11 full fetch asking for a new session (epoch 0), with forgotten topics and a rack id.
    const v11 = await ask(ApiKey.Fetch, 11, new Writer()
      .int32(-1).int32(0).int32(1).int32(1 << 20).int8(1)
      .int32(0).int32(0) // session id, session epoch
      .int32(1).string(topic).int32(1).int32(0).int32(-1).int64(0).int64(-1).int32(1 << 20)
      .int32(1).string('elsewhere').int32(1).int32(3) // forgotten topics: ignored
      .string('rack-1'));
    expect(v11.int32()).toBe(0); // throttle
    expect(v11.int16()).toBe(ErrorCode.NONE);
    expect(v11.int32()).toBe(0); // session id: no session was created
    expect(v11.int32()).toBe(1);
    expect(v11.string()).toBe(topic);
    expect(v11.int32()).toBe(1);
    expect([v11.int32(), v11.int16(), v11.int64(), v11.int64(), v11.int64()]).toEqual([0, 0, 2, 2, 0]); // ..., log start
    expect(v11.int32()).toBe(0); // aborted transactions
    expect(v11.int32()).toBe(-1); // preferred read replica
    const records = v11.bytes();
    expect([records.readBigInt64BE(0), records.readBigInt64BE(records.readInt32BE(8) + 12)]).toEqual([0n, 1n]);
    end(v11);

    // An incremental fetch names a session this broker never created.
    const incremental = await ask(ApiKey.Fetch, 11, new Writer()
      .int32(-1).int32(0).int32(1).int32(1 << 20).int8(0)
      .int32(12345).int32(1)
      .int32(0).int32(0).string(''));
    expect([incremental.int32(), incremental.int16(), incremental.int32(), incremental.int32()])
      .toEqual([0, ErrorCode.FETCH_SESSION_ID_NOT_FOUND, 0, 0]); // throttle, error, session, no topics
    end(incremental);
  });

  it('takes zstd batches from Produce 7 only and serves them from Fetch 10 only (KIP-110)', async () => {
    const topic = uniqueName('raw-z');
    const zstd = buildRecordBatch({ records: [{ key: null, value: 'z' }] });
    zstd.writeInt16BE(4, 21); // attributes: codec 4 = zstd (the broker never decompresses)
    const refused = await c.request(ApiKey.Produce, 6, produceBody(topic, 0, zstd));
    expect([refused.int32(), refused.string(), refused.int32(), refused.int32(), refused.int16(), refused.int64(), refused.int64(), refused.int64(), refused.int32()])
      .toEqual([1, topic, 1, 0, ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, -1, -1, -1, 0]);
    end(refused);
    await produce(7, topic, 'plain'); // offset 0, uncompressed
    const taken = await c.request(ApiKey.Produce, 7, produceBody(topic, 0, zstd));
    expect([taken.int32(), taken.string(), taken.int32(), taken.int32(), taken.int16(), taken.int64()]).toEqual([1, topic, 1, 0, 0, 1]);

    const fetchAt = async (version: number, offset: number): Promise<{ errorCode: number; bytes: number }> => {
      const body = new Writer().int32(-1).int32(0).int32(1).int32(1 << 20).int8(0);
      if (version >= 7) body.int32(0).int32(-1);
      body.int32(1).string(topic).int32(1).int32(0);
      if (version >= 9) body.int32(-1);
      body.int64(offset);
      if (version >= 5) body.int64(-1);
      body.int32(1 << 20);
      if (version >= 7) body.int32(0);
      const r = await ask(ApiKey.Fetch, version, body);
      r.int32();
      if (version >= 7) expect([r.int16(), r.int32()]).toEqual([0, 0]);
      expect([r.int32(), r.string(), r.int32(), r.int32()]).toEqual([1, topic, 1, 0]);
      const errorCode = r.int16();
      r.int64(); // high watermark
      r.int64(); // last stable offset
      if (version >= 5) r.int64(); // log start offset
      expect(r.int32()).toBe(0); // aborted transactions
      const bytes = r.bytes().length;
      end(r);
      return { errorCode, bytes };
    };
    const plainLength = buildRecordBatch({ records: [{ key: null, value: 'plain' }] }).length;
    // Fetch 9 gets the batches before the zstd one, and an error once that is the next.
    expect(await fetchAt(9, 0)).toEqual({ errorCode: 0, bytes: plainLength });
    expect(await fetchAt(9, 1)).toEqual({ errorCode: ErrorCode.UNSUPPORTED_COMPRESSION_TYPE, bytes: 0 });
    expect(await fetchAt(10, 0)).toEqual({ errorCode: 0, bytes: plainLength + zstd.length });
    expect(await fetchAt(10, 1)).toEqual({ errorCode: 0, bytes: zstd.length });
  });

  it('ListOffsets 1 and 3: v3 has the isolation level and the throttle time', async () => {
    const topic = uniqueName('raw-lo');
    await produce(3, topic, 'a');
    const v1 = await ask(ApiKey.ListOffsets, 1, new Writer().int32(-1).int32(1).string(topic).int32(1).int32(0).int64(-1));
    expect([v1.int32(), v1.string(), v1.int32(), v1.int32(), v1.int16(), v1.int64(), v1.int64()]).toEqual([1, topic, 1, 0, 0, -1, 1]);
    end(v1);
    const v3 = await ask(ApiKey.ListOffsets, 3, new Writer().int32(-1).int8(1).int32(1).string(topic).int32(1).int32(0).int64(-2));
    expect(v3.int32()).toBe(0); // throttle
    expect([v3.int32(), v3.string(), v3.int32(), v3.int32(), v3.int16(), v3.int64(), v3.int64()]).toEqual([1, topic, 1, 0, 0, -1, 0]);
    end(v3);
  });

  it('Metadata 4 and 6: v6 lists offline replicas', async () => {
    const topic = uniqueName('raw-md');
    for (const v of [4, 6]) {
      const r = await ask(ApiKey.Metadata, v, new Writer().int32(1).string(topic).bool(true));
      expect(r.int32()).toBe(0); // throttle
      expect(r.array((b) => [b.int32(), b.string(), b.int32(), b.nullableString()])).toEqual([[0, '127.0.0.1', sandbox.port, null]]);
      expect(r.nullableString()).toBe('tributary-sandbox');
      expect(r.int32()).toBe(0); // controller
      expect(r.int32()).toBe(1);
      expect([r.int16(), r.string(), r.bool()]).toEqual([0, topic, false]);
      const partitions = r.array((p) => ({
        error: p.int16(), index: p.int32(), leader: p.int32(),
        replicas: p.array((x) => x.int32()), isr: p.array((x) => x.int32()),
        offline: v >= 5 ? p.array((x) => x.int32()) : undefined,
      }));
      expect(partitions).toEqual([{ error: 0, index: 0, leader: 0, replicas: [0], isr: [0], offline: v >= 5 ? [] : undefined }]);
      end(r);
    }
  });

  it('FindCoordinator 0 and 2', async () => {
    const v0 = await ask(ApiKey.FindCoordinator, 0, new Writer().string('g'));
    expect([v0.int16(), v0.int32(), v0.string(), v0.int32()]).toEqual([0, 0, '127.0.0.1', sandbox.port]);
    end(v0);
    const v2 = await ask(ApiKey.FindCoordinator, 2, new Writer().string('g').int8(0));
    expect([v2.int32(), v2.int16(), v2.nullableString(), v2.int32(), v2.string(), v2.int32()]).toEqual([0, 0, null, 0, '127.0.0.1', sandbox.port]);
    end(v2);
  });

  it('CreateTopics 0 and 3, InitProducerId 0 and 1', async () => {
    for (const v of [0, 3]) {
      const topic = uniqueName(`raw-ct${v}`);
      const body = new Writer().int32(1).string(topic).int32(2).int16(1).int32(0).int32(0).int32(1000);
      if (v >= 1) body.bool(false); // validate_only
      const r = await ask(ApiKey.CreateTopics, v, body);
      if (v >= 2) expect(r.int32()).toBe(0);
      expect([r.int32(), r.string(), r.int16()]).toEqual([1, topic, 0]);
      if (v >= 1) expect(r.nullableString()).toBeNull();
      end(r);
    }
    const ids: number[] = [];
    for (const v of [0, 1]) {
      const r = await ask(ApiKey.InitProducerId, v, new Writer().nullableString(null).int32(60_000));
      expect([r.int32(), r.int16()]).toEqual([0, 0]);
      ids.push(r.int64());
      expect(r.int16()).toBe(0); // epoch
      end(r);
    }
    expect(ids[1]).toBeGreaterThan(ids[0]);
  });

  /** JoinGroup at `version` with one roundrobin protocol; returns the fields after the throttle. */
  async function joinRaw(version: number, groupId: string, memberId: string, options: { instanceId?: string | null; sessionMs?: number } = {}) {
    const body = new Writer().string(groupId).int32(options.sessionMs ?? 10_000);
    if (version >= 1) body.int32(10_000);
    body.string(memberId);
    if (version >= 5) body.nullableString(options.instanceId ?? null);
    body.string('consumer').int32(1).string('roundrobin').bytes(Buffer.from('meta'));
    const r = await ask(ApiKey.JoinGroup, version, body);
    if (version >= 2) expect(r.int32()).toBe(0);
    const result = {
      errorCode: r.int16(), generationId: r.int32(), protocol: r.string(), leaderId: r.string(), memberId: r.string(),
      members: r.array((m) => ({ memberId: m.string(), instanceId: version >= 5 ? m.nullableString() : undefined, metadata: m.bytes().toString() })),
    };
    end(r);
    return result;
  }

  it('JoinGroup 1 and 5: v5 first answers MEMBER_ID_REQUIRED, then lists members with a null instance id', async () => {
    const old = await joinRaw(1, uniqueName('raw-j1'), '');
    expect(old).toMatchObject({ errorCode: 0, generationId: 1, protocol: 'roundrobin' });
    expect(old.members).toEqual([{ memberId: old.memberId, instanceId: undefined, metadata: 'meta' }]);

    const groupId = uniqueName('raw-j5');
    const refused = await joinRaw(5, groupId, '');
    expect(refused).toMatchObject({ errorCode: ErrorCode.MEMBER_ID_REQUIRED, generationId: -1, protocol: '', leaderId: '', members: [] });
    expect(refused.memberId).toMatch(new RegExp(`^${CLIENT_ID}-`));
    const joined = await joinRaw(5, groupId, refused.memberId);
    expect(joined).toMatchObject({ errorCode: 0, generationId: 1, memberId: refused.memberId, leaderId: refused.memberId });
    expect(joined.members).toEqual([{ memberId: refused.memberId, instanceId: null, metadata: 'meta' }]);

    // Static membership is refused, and the group is left as it was.
    const staticJoin = await joinRaw(5, groupId, '', { instanceId: 'instance-1' });
    expect(staticJoin).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_VERSION, members: [] });
  });

  it('expires a member id handed out by JoinGroup v4 that is never used', async () => {
    const groupId = uniqueName('raw-j4');
    const refused = await joinRaw(4, groupId, '', { sessionMs: 200 });
    expect(refused.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
    await waitFor(() => brokerLog.some((l) => l.includes(`group ${groupId}: pending ${refused.memberId} did not rejoin`)), 'the pending id to expire');
    expect(await joinRaw(4, groupId, refused.memberId)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_MEMBER_ID });
  });

  it('SyncGroup 0 and 3, Heartbeat 0 and 3, OffsetCommit 2 and 5, OffsetFetch 1 and 4, LeaveGroup 1 and 3', async () => {
    const topic = uniqueName('raw-gt');
    const groupId = uniqueName('raw-g');
    // The commits below name partitions 0 and 1, which must exist (the broker default here is 1 partition).
    const created = await ask(ApiKey.CreateTopics, 0, new Writer().int32(1).string(topic).int32(2).int16(1).int32(0).int32(0).int32(5000));
    expect([created.int32(), created.string(), created.int16()]).toEqual([1, topic, ErrorCode.NONE]);
    end(created);
    const first = await joinRaw(5, groupId, '');
    const { memberId, generationId } = await joinRaw(5, groupId, first.memberId);

    // SyncGroup v3 carries a (null) group instance id before the assignments.
    const sync3 = await ask(ApiKey.SyncGroup, 3, new Writer().string(groupId).int32(generationId).string(memberId).nullableString(null)
      .int32(1).string(memberId).bytes(Buffer.from('assigned')));
    expect([sync3.int32(), sync3.int16(), sync3.bytes().toString()]).toEqual([0, 0, 'assigned']);
    end(sync3);
    const sync0 = await ask(ApiKey.SyncGroup, 0, new Writer().string(groupId).int32(generationId).string(memberId).int32(0));
    expect([sync0.int16(), sync0.bytes().toString()]).toEqual([0, 'assigned']);
    end(sync0);
    const syncStatic = await ask(ApiKey.SyncGroup, 3, new Writer().string(groupId).int32(generationId).string(memberId).nullableString('i-1').int32(0));
    expect([syncStatic.int32(), syncStatic.int16(), syncStatic.bytes().length]).toEqual([0, ErrorCode.UNSUPPORTED_VERSION, 0]);
    end(syncStatic);

    const hb0 = await ask(ApiKey.Heartbeat, 0, new Writer().string(groupId).int32(generationId).string(memberId));
    expect(hb0.int16()).toBe(0);
    end(hb0);
    const hb3 = await ask(ApiKey.Heartbeat, 3, new Writer().string(groupId).int32(generationId).string(memberId).nullableString(null));
    expect([hb3.int32(), hb3.int16()]).toEqual([0, 0]);
    end(hb3);
    const hb3Stale = await ask(ApiKey.Heartbeat, 3, new Writer().string(groupId).int32(generationId + 1).string(memberId).nullableString(null));
    expect([hb3Stale.int32(), hb3Stale.int16()]).toEqual([0, ErrorCode.ILLEGAL_GENERATION]);
    end(hb3Stale);
    const hbStatic = await ask(ApiKey.Heartbeat, 3, new Writer().string(groupId).int32(generationId).string(memberId).nullableString('i-1'));
    expect([hbStatic.int32(), hbStatic.int16()]).toEqual([0, ErrorCode.UNSUPPORTED_VERSION]);
    end(hbStatic);

    // v2 has a retention time between the member id and the topics; v5 has none.
    const commit2 = await ask(ApiKey.OffsetCommit, 2, new Writer().string(groupId).int32(generationId).string(memberId).int64(-1)
      .int32(1).string(topic).int32(1).int32(0).int64(7).nullableString('two'));
    expect([commit2.int32(), commit2.string(), commit2.int32(), commit2.int32(), commit2.int16()]).toEqual([1, topic, 1, 0, 0]);
    end(commit2);
    const commit5 = await ask(ApiKey.OffsetCommit, 5, new Writer().string(groupId).int32(generationId).string(memberId)
      .int32(1).string(topic).int32(1).int32(1).int64(9).nullableString('five'));
    expect([commit5.int32(), commit5.int32(), commit5.string(), commit5.int32(), commit5.int32(), commit5.int16()]).toEqual([0, 1, topic, 1, 1, 0]);
    end(commit5);

    const fetch1 = await ask(ApiKey.OffsetFetch, 1, new Writer().string(groupId).int32(1).string(topic).int32(2).int32(0).int32(1));
    expect(fetch1.array((t) => [t.string(), t.array((p) => [p.int32(), p.int64(), p.nullableString(), p.int16()])]))
      .toEqual([[topic, [[0, 7, 'two', 0], [1, 9, 'five', 0]]]]);
    end(fetch1);
    const fetch4 = await ask(ApiKey.OffsetFetch, 4, new Writer().string(groupId).int32(-1)); // null: every committed partition
    expect(fetch4.int32()).toBe(0);
    expect(fetch4.array((t) => [t.string(), t.array((p) => [p.int32(), p.int64(), p.nullableString(), p.int16()])]))
      .toEqual([[topic, [[0, 7, 'two', 0], [1, 9, 'five', 0]]]]);
    expect(fetch4.int16()).toBe(0);
    end(fetch4);

    // LeaveGroup v3: a batch, answered member by member; the unknown one does not stop the other.
    const leave3 = await ask(ApiKey.LeaveGroup, 3, new Writer().string(groupId)
      .int32(2).string('nobody').nullableString(null).string(memberId).nullableString(null));
    expect([leave3.int32(), leave3.int16()]).toEqual([0, 0]);
    expect(leave3.array((m) => [m.string(), m.nullableString(), m.int16()])).toEqual([
      ['nobody', null, ErrorCode.UNKNOWN_MEMBER_ID],
      [memberId, null, ErrorCode.NONE],
    ]);
    end(leave3);
    const leave1 = await ask(ApiKey.LeaveGroup, 1, new Writer().string(groupId).string(memberId));
    expect([leave1.int32(), leave1.int16()]).toEqual([0, ErrorCode.UNKNOWN_MEMBER_ID]); // already gone
    end(leave1);
  });

  it('DescribeGroups 0 and 2, ListGroups 0 and 2, DeleteGroups 0 and 1', async () => {
    const groupId = uniqueName('raw-dg');
    const first = await joinRaw(5, groupId, '');
    const { memberId, generationId } = await joinRaw(5, groupId, first.memberId);
    await ask(ApiKey.SyncGroup, 3, new Writer().string(groupId).int32(generationId).string(memberId).nullableString(null)
      .int32(1).string(memberId).bytes(Buffer.from('assigned')));

    for (const v of [0, 2]) {
      const r = await ask(ApiKey.DescribeGroups, v, new Writer().int32(1).string(groupId));
      if (v >= 1) expect(r.int32()).toBe(0);
      expect(r.int32()).toBe(1);
      expect([r.int16(), r.string(), r.string(), r.string(), r.string()]).toEqual([0, groupId, 'Stable', 'consumer', 'roundrobin']);
      expect(r.array((m) => [m.string(), m.string(), m.string(), m.bytes().toString(), m.bytes().toString()]))
        .toEqual([[memberId, CLIENT_ID, '/127.0.0.1', 'meta', 'assigned']]);
      end(r);
    }
    for (const v of [0, 2]) {
      const r = await ask(ApiKey.ListGroups, v, new Writer());
      if (v >= 1) expect(r.int32()).toBe(0);
      expect(r.int16()).toBe(0);
      expect(r.array((g) => [g.string(), g.string()])).toEqual(expect.arrayContaining([[groupId, 'consumer']]));
      end(r);
    }

    const busy = await ask(ApiKey.DeleteGroups, 1, new Writer().int32(1).string(groupId));
    expect([busy.int32(), busy.int32(), busy.string(), busy.int16()]).toEqual([0, 1, groupId, ErrorCode.NON_EMPTY_GROUP]);
    end(busy);
    await ask(ApiKey.LeaveGroup, 0, new Writer().string(groupId).string(memberId));
    const deleted = await ask(ApiKey.DeleteGroups, 0, new Writer().int32(1).string(groupId));
    expect([deleted.int32(), deleted.int32(), deleted.string(), deleted.int16()]).toEqual([0, 1, groupId, ErrorCode.NONE]);
    end(deleted);
    const again = await ask(ApiKey.DeleteGroups, 1, new Writer().int32(1).string(groupId));
    expect([again.int32(), again.int32(), again.string(), again.int16()]).toEqual([0, 1, groupId, ErrorCode.GROUP_ID_NOT_FOUND]);
    end(again);
  });
});
