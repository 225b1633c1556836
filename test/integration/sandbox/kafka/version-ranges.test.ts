// Every advertised version of every API, encoded and decoded by kafkajs's own protocol modules
// for that exact version. kafkajs itself only ever uses the highest; these check the lower ones
// that librdkafka- and kafka-python-based clients use.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KafkaSandbox, startKafkaSandbox } from '../../../../src/sandbox/kafka/index.js';
import { versionRange } from '../../../../src/sandbox/kafka/protocol.js';
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

  it('answers ApiVersions 0-2, Metadata 0-4 and FindCoordinator 0-1 in each version\'s layout', async () => {
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
    }
    for (const v of versionsOf(10)) {
      const r = await call('findCoordinator', v, { groupId: 'g' });
      expect(r.coordinator).toEqual({ nodeId: 0, host: '127.0.0.1', port: sandbox.port });
    }
  });

  it('creates and deletes topics with CreateTopics 0-2 and DeleteTopics 0-1', async () => {
    for (const v of versionsOf(19)) {
      const topic = uniqueName(`ct${v}`);
      const r = await call('createTopics', v, { topics: [{ topic, numPartitions: 1 }], timeout: 1000 });
      expect(r.topicErrors).toEqual([expect.objectContaining({ topic, errorCode: 0 })]);
    }
    for (const v of versionsOf(20)) {
      const topic = uniqueName(`dt${v}`);
      await call('createTopics', 2, { topics: [{ topic }], timeout: 1000 });
      const r = await call('deleteTopics', v, { topics: [topic], timeout: 1000 });
      expect(r.topicErrors).toEqual([{ topic, errorCode: 0 }]);
    }
  });

  it('produces with Produce 3 and InitProducerId 0, then reads back with Fetch 4 and ListOffsets 0-2', async () => {
    const topic = uniqueName('pf');
    const init = await call('initProducerId', 0, { transactionalId: null });
    expect(init.producerId).not.toBe('-1');
    const produced = await call('produce', 3, {
      acks: 1, timeout: 1000, compression: 0,
      topicData: [{ topic, partitions: [{ partition: 0, messages: [{ key: 'k', value: 'v', timestamp: 1_600_000_000_000 }] }] }],
    });
    expect(produced.topics[0].partitions[0]).toMatchObject({ errorCode: 0, baseOffset: '0' });

    const fetched = await call('fetch', 4, {
      maxWaitTime: 0, minBytes: 1, maxBytes: 1 << 20,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: '0', maxBytes: 1 << 20 }] }],
    });
    expect(fetched.responses[0].partitions[0].messages.map((m: { value: Buffer }) => m.value.toString())).toEqual(['v']);

    const v0 = await call('listOffsets', 0, { topics: [{ topic, partitions: [{ partition: 0, timestamp: -1 }] }] });
    expect(v0.responses[0].partitions[0].offsets).toEqual(['1']);
    for (const v of [1, 2]) {
      const latest = await call('listOffsets', v, { topics: [{ topic, partitions: [{ partition: 0, timestamp: -1 }] }] });
      expect(latest.responses[0].partitions[0]).toMatchObject({ errorCode: 0, offset: '1' });
      const byTime = await call('listOffsets', v, { topics: [{ topic, partitions: [{ partition: 0, timestamp: 1_500_000_000_000 }] }] });
      expect(byTime.responses[0].partitions[0]).toMatchObject({ offset: '0', timestamp: '1600000000000' });
    }
  });

  it('runs a group through JoinGroup 0-2, SyncGroup, Heartbeat, OffsetCommit, OffsetFetch and LeaveGroup', async () => {
    const topic = uniqueName('grp');
    // One pass per JoinGroup version; the other group APIs cycle through their own ranges.
    for (const joinVersion of versionsOf(11)) {
      const groupId = uniqueName(`g${joinVersion}`);
      const joined = await call('joinGroup', joinVersion, {
        groupId, sessionTimeout: 10_000, rebalanceTimeout: 10_000, memberId: '', protocolType: 'consumer',
        groupProtocols: [{ name: 'roundrobin', metadata: Buffer.from([1]) }],
      });
      expect(joined).toMatchObject({ errorCode: 0, generationId: 1, groupProtocol: 'roundrobin' });
      expect(joined.leaderId).toBe(joined.memberId);
      const memberId: string = joined.memberId;
      const generationId: number = joined.generationId;

      const syncVersion = joinVersion % 2;
      const synced = await call('syncGroup', syncVersion, {
        groupId, generationId, memberId, groupAssignment: [{ memberId, memberAssignment: Buffer.from([7, 7]) }],
      });
      expect(synced.memberAssignment).toEqual(Buffer.from([7, 7]));

      for (const v of versionsOf(12)) {
        expect((await call('heartbeat', v, { groupId, groupGenerationId: generationId, memberId })).errorCode).toBe(0);
      }
      for (const v of versionsOf(8)) {
        // v0 has no generation: it is a plain commit, which only a group without members takes.
        const committed = await call('offsetCommit', v, {
          groupId: v === 0 ? `${groupId}-plain` : groupId, groupGenerationId: generationId, memberId,
          topics: [{ topic, partitions: [{ partition: 0, offset: String(10 + v), metadata: `m${v}` }] }],
        });
        expect(committed.responses[0].partitions[0].errorCode).toBe(0);
      }
      for (const v of versionsOf(9)) {
        const fetched = await call('offsetFetch', v, { groupId, topics: [{ topic, partitions: [{ partition: 0 }, { partition: 1 }] }] });
        expect(fetched.responses[0].partitions).toEqual([
          expect.objectContaining({ partition: 0, offset: '13', metadata: 'm3' }),
          expect.objectContaining({ partition: 1, offset: '-1' }),
        ]);
      }
      for (const v of versionsOf(15)) {
        const described = await call('describeGroups', v, { groupIds: [groupId] });
        expect(described.groups[0]).toMatchObject({ groupId, state: 'Stable', protocolType: 'consumer', protocol: 'roundrobin' });
      }
      for (const v of versionsOf(16)) {
        const listed = await call('listGroups', v);
        expect(listed.groups).toEqual(expect.arrayContaining([{ groupId, protocolType: 'consumer' }]));
      }
      const leaveVersion = joinVersion % 2;
      expect((await call('leaveGroup', leaveVersion, { groupId, memberId })).errorCode).toBe(0);
      const deleted = await call('deleteGroups', 0, [groupId]);
      expect(deleted.results).toEqual([{ groupId, errorCode: 0 }]);
    }
  });
});
