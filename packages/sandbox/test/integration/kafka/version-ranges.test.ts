// Every advertised version of every API, encoded and decoded by kafkajs's own protocol modules
// for that exact version. kafkajs itself only ever uses the highest; these also check the lower
// ones that librdkafka- and kafka-python-based clients use.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { versionRange } from '../../../src/kafka/protocol.js';
import { uniqueName } from './helpers.js';
import { RawClient } from './raw-client.js';

const require = createRequire(import.meta.url);

interface ProtocolModule {
  protocol(options: { version: number }): (params?: unknown) => {
    request: { apiKey: number; apiVersion: number; encode(): Promise<{ buffer: Buffer }> };
    response: { decode(raw: Buffer): Promise<unknown>; parse(decoded: unknown): Promise<any> };
  };
}

function api(name: string): ProtocolModule {
  return require(`kafkajs/src/protocol/requests/${name}/index.js`) as ProtocolModule;
}

const versionsOf = (apiKey: number): number[] => {
  const range = versionRange(apiKey)!;
  return Array.from({ length: range.maxVersion - range.minVersion + 1 }, (_, i) => range.minVersion + i);
};

describe('kafka sandbox version ranges', () => {
  let sandbox: KafkaSandbox;
  let client: RawClient;

  beforeAll(async () => {
    sandbox = await startKafkaSandbox({ partitions: 2 });
    client = await RawClient.connect(sandbox.port);
  });

  afterAll(async () => {
    client.close();
    await sandbox.close();
  });

  /** Sends a request built by kafkajs at `version` and returns kafkajs's parse of the answer. */
  async function call(name: string, version: number, params?: unknown): Promise<any> {
    const { request, response } = api(name).protocol({ version })(params);
    expect(request.apiVersion).toBe(version);
    const body = (await request.encode()).buffer;
    const raw = await client.requestBytes(request.apiKey, version, body);
    return response.parse(await response.decode(raw));
  }

  it('answers ApiVersions 0-2, Metadata 0-6 and FindCoordinator 0-2 in each version\'s layout', async () => {
    for (const v of versionsOf(18)) {
      const r = await call('apiVersions', v);
      expect(r.apiVersions.length).toBeGreaterThan(10);
    }
    const topic = uniqueName('ver');
    for (const v of versionsOf(3)) {
      const r = await call('metadata', v, { topics: [topic], allowAutoTopicCreation: true });
      expect(r.brokers).toEqual([expect.objectContaining({ nodeId: 0, host: '127.0.0.1', port: sandbox.port })]);
      expect(r.topicMetadata[0]).toMatchObject({ topic, topicErrorCode: 0 });
      expect(r.topicMetadata[0].partitionMetadata).toHaveLength(2);
      if (v >= 1) expect(r.controllerId).toBe(0);
      if (v >= 2) expect(r.clusterId).toBe('tributary-sandbox');
      for (const p of r.topicMetadata[0].partitionMetadata) {
        expect(p).toMatchObject({ partitionErrorCode: 0, leader: 0, replicas: [0], isr: [0] });
        if (v >= 5) expect(p.offlineReplicas).toEqual([]);
      }
    }
    expect(versionsOf(10)).toEqual([0, 1, 2]);
    for (const v of versionsOf(10)) {
      const r = await call('findCoordinator', v, { groupId: 'g' });
      expect(r.coordinator).toEqual({ nodeId: 0, host: '127.0.0.1', port: sandbox.port });
    }
  });

  it('creates and deletes topics with CreateTopics 0-3 and DeleteTopics 0-1', async () => {
    expect(versionsOf(19)).toEqual([0, 1, 2, 3]);
    for (const v of versionsOf(19)) {
      const topic = uniqueName(`ct${v}`);
      const r = await call('createTopics', v, { topics: [{ topic, numPartitions: 1 }], timeout: 1000 });
      expect(r.topicErrors).toEqual([expect.objectContaining({ topic, errorCode: 0 })]);
      const again = await call('createTopics', v, { topics: [{ topic, numPartitions: 1 }], timeout: 1000 }).catch((err: unknown) => err);
      expect(again).toMatchObject({ errors: [expect.objectContaining({ type: 'TOPIC_ALREADY_EXISTS', topic })] });
    }
    for (const v of versionsOf(20)) {
      const topic = uniqueName(`dt${v}`);
      await call('createTopics', 2, { topics: [{ topic }], timeout: 1000 });
      const r = await call('deleteTopics', v, { topics: [topic], timeout: 1000 });
      expect(r.topicErrors).toEqual([{ topic, errorCode: 0 }]);
    }
  });

  it('produces with Produce 3-7 and InitProducerId 0-1, then reads back with Fetch 4-11 and ListOffsets 0-3', async () => {
    const topic = uniqueName('pf');
    expect(versionsOf(22)).toEqual([0, 1]);
    const producerIds = new Set<string>();
    for (const v of versionsOf(22)) {
      const init = await call('initProducerId', v, { transactionalId: null });
      expect(init).toMatchObject({ errorCode: 0, producerEpoch: 0 });
      expect(init.producerId).not.toBe('-1');
      producerIds.add(init.producerId);
    }
    expect(producerIds.size).toBe(2);

    // One record per Produce version, each with its own timestamp.
    const produceVersions = versionsOf(0);
    expect(produceVersions).toEqual([3, 4, 5, 6, 7]);
    for (const [i, v] of produceVersions.entries()) {
      const produced = await call('produce', v, {
        acks: 1, timeout: 1000, compression: 0,
        topicData: [{ topic, partitions: [{ partition: 0, messages: [{ key: 'k', value: `v${v}`, timestamp: 1_600_000_000_000 + i * 1000 }] }] }],
      });
      expect(produced.topics[0].partitions[0]).toMatchObject({ errorCode: 0, baseOffset: String(i), logAppendTime: '-1' });
      if (v >= 5) expect(produced.topics[0].partitions[0].logStartOffset).toBe('0');
    }
    const values = produceVersions.map((v) => `v${v}`);

    const fetchVersions = versionsOf(1);
    expect(fetchVersions).toEqual([4, 5, 6, 7, 8, 9, 10, 11]);
    for (const v of fetchVersions) {
      const fetched = await call('fetch', v, {
        replicaId: -1, isolationLevel: 1, maxWaitTime: 0, minBytes: 1, maxBytes: 1 << 20,
        topics: [{ topic, partitions: [{ partition: 0, fetchOffset: '1', maxBytes: 1 << 20 }] }],
      });
      const partition = fetched.responses[0].partitions[0];
      // The client drops the records below the fetch offset; the decoder still sees whole batches.
      expect(partition.messages.map((m: { value: Buffer }) => m.value.toString())).toEqual(values.slice(1));
      expect(partition).toMatchObject({ partition: 0, errorCode: 0, highWatermark: '5', lastStableOffset: '5', abortedTransactions: [] });
      if (v >= 5) expect(partition.lastStartOffset).toBe('0');
      if (v >= 7) expect(fetched).toMatchObject({ errorCode: 0, sessionId: 0 });
      if (v >= 11) expect(partition.preferredReadReplica).toBe(-1);
    }

    const v0 = await call('listOffsets', 0, { topics: [{ topic, partitions: [{ partition: 0, timestamp: -1 }] }] });
    expect(v0.responses[0].partitions[0].offsets).toEqual(['5']);
    expect(versionsOf(2)).toEqual([0, 1, 2, 3]);
    for (const v of [1, 2, 3]) {
      const params = (timestamp: number): unknown => ({ isolationLevel: 1, topics: [{ topic, partitions: [{ partition: 0, timestamp }] }] });
      const latest = await call('listOffsets', v, params(-1));
      expect(latest.responses[0].partitions[0]).toMatchObject({ errorCode: 0, offset: '5' });
      const earliest = await call('listOffsets', v, params(-2));
      expect(earliest.responses[0].partitions[0]).toMatchObject({ errorCode: 0, offset: '0' });
      const byTime = await call('listOffsets', v, params(1_600_000_001_500));
      expect(byTime.responses[0].partitions[0]).toMatchObject({ offset: '2', timestamp: '1600000002000' });
    }
  });

  /** JoinGroup; from v4 the first answer is MEMBER_ID_REQUIRED with a member id to rejoin with. */
  async function join(version: number, groupId: string): Promise<any> {
    const params = (memberId: string): unknown => ({
      groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, memberId, protocolType: 'consumer',
      groupProtocols: [{ name: 'roundrobin', metadata: Buffer.from([1]) }],
    });
    if (version < 4) return call('joinGroup', version, params(''));
    const refused = await call('joinGroup', version, params('')).catch((err: unknown) => err);
    expect(refused).toMatchObject({ name: 'KafkaJSMemberIdRequired', type: 'MEMBER_ID_REQUIRED' });
    const memberId = (refused as { memberId: string }).memberId;
    expect(memberId).toMatch(/^raw-client-/);
    const joined = await call('joinGroup', version, params(memberId));
    expect(joined.memberId).toBe(memberId);
    if (version >= 5) expect(joined.members).toEqual([{ memberId, groupInstanceId: null, memberMetadata: Buffer.from([1]) }]);
    return joined;
  }

  it('runs a group through JoinGroup 0-5, SyncGroup 0-3, Heartbeat 0-3, OffsetCommit 0-5, OffsetFetch 1-4 and LeaveGroup 0-3', async () => {
    const topic = uniqueName('grp');
    // Commits to a partition that does not exist are refused, as Kafka does: make the topic (2 partitions) first.
    await call('metadata', 4, { topics: [topic], allowAutoTopicCreation: true });
    expect(versionsOf(11)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(versionsOf(14)).toEqual([0, 1, 2, 3]);
    expect(versionsOf(13)).toEqual([0, 1, 2, 3]);
    const commitVersions = versionsOf(8);
    expect(commitVersions).toEqual([0, 1, 2, 3, 4, 5]);
    const lastCommit = commitVersions[commitVersions.length - 1];
    // One pass per JoinGroup version; the other group APIs cycle through their own ranges.
    for (const joinVersion of versionsOf(11)) {
      const groupId = uniqueName(`g${joinVersion}`);
      const joined = await join(joinVersion, groupId);
      expect(joined).toMatchObject({ errorCode: 0, generationId: 1, groupProtocol: 'roundrobin' });
      expect(joined.leaderId).toBe(joined.memberId);
      const memberId: string = joined.memberId;
      const generationId: number = joined.generationId;

      const syncVersion = joinVersion % 4;
      const synced = await call('syncGroup', syncVersion, {
        groupId, generationId, memberId, groupAssignment: [{ memberId, memberAssignment: Buffer.from([7, 7]) }],
      });
      expect(synced.memberAssignment).toEqual(Buffer.from([7, 7]));

      for (const v of versionsOf(12)) {
        expect((await call('heartbeat', v, { groupId, groupGenerationId: generationId, memberId })).errorCode).toBe(0);
      }
      for (const v of commitVersions) {
        // v0 has no generation: it is a plain commit, which only a group without members takes.
        const committed = await call('offsetCommit', v, {
          groupId: v === 0 ? `${groupId}-plain` : groupId, groupGenerationId: generationId, memberId, retentionTime: -1,
          topics: [{ topic, partitions: [{ partition: 0, offset: String(10 + v), metadata: `m${v}` }] }],
        });
        expect(committed.responses[0].partitions[0].errorCode).toBe(0);
      }
      expect(versionsOf(9)).toEqual([1, 2, 3, 4]);
      for (const v of versionsOf(9)) {
        const fetched = await call('offsetFetch', v, { groupId, topics: [{ topic, partitions: [{ partition: 0 }, { partition: 1 }] }] });
        expect(fetched.responses[0].partitions).toEqual([
          expect.objectContaining({ partition: 0, offset: String(10 + lastCommit), metadata: `m${lastCommit}` }),
          expect.objectContaining({ partition: 1, offset: '-1' }),
        ]);
      }
      expect(versionsOf(15)).toEqual([0, 1, 2]);
      for (const v of versionsOf(15)) {
        const described = await call('describeGroups', v, { groupIds: [groupId] });
        expect(described.groups[0]).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer', protocol: 'roundrobin' });
        expect(described.groups[0].members).toEqual([expect.objectContaining({ memberId, memberAssignment: Buffer.from([7, 7]) })]);
      }
      expect(versionsOf(16)).toEqual([0, 1, 2]);
      for (const v of versionsOf(16)) {
        const listed = await call('listGroups', v);
        expect(listed.groups).toEqual(expect.arrayContaining([{ groupId, protocolType: 'consumer' }]));
      }
      const leaveVersion = joinVersion % 4;
      const left = await call('leaveGroup', leaveVersion, { groupId, memberId });
      expect(left.errorCode).toBe(0);
      if (leaveVersion >= 3) expect(left.members).toEqual([{ memberId, groupInstanceId: null, errorCode: 0 }]);
      const deleted = await call('deleteGroups', joinVersion % 2, [groupId]);
      expect(deleted.results).toEqual([{ groupId, errorCode: 0 }]);
    }
  });
});
