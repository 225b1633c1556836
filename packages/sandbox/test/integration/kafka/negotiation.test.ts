// Which protocol versions real kafkajs negotiates with the sandbox over TCP, read from kafkajs's own
// instrumentation: every answered request emits a REQUEST event with its api key and version.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Admin, Consumer, Kafka, Producer, RequestEvent } from 'kafkajs';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { apiName } from '../../../src/kafka/protocol.js';
import { FAST_CONSUMER, kafkaClient, uniqueName, waitFor } from './helpers.js';

interface RequestPayload {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly clientId: string;
}

/** The version each API was used at, e.g. { Produce: [7] }, for the requests seen so far. */
function versionsByApi(requests: readonly RequestPayload[]): Record<string, number[]> {
  const byApi = new Map<string, Set<number>>();
  for (const r of requests) {
    const name = apiName(r.apiKey);
    byApi.set(name, (byApi.get(name) ?? new Set()).add(r.apiVersion));
  }
  return Object.fromEntries([...byApi].map(([name, versions]) => [name, [...versions].sort((a, b) => a - b)]));
}

function record(client: Producer | Consumer | Admin, into: RequestPayload[]): void {
  const push = (e: RequestEvent): void => {
    into.push({ apiKey: e.payload.apiKey, apiVersion: e.payload.apiVersion, clientId: e.payload.clientId });
  };
  // The three client types declare on() separately; each takes its own REQUEST event name.
  if ('send' in client) client.on(client.events.REQUEST, push);
  else if ('subscribe' in client) client.on(client.events.REQUEST, push);
  else client.on(client.events.REQUEST, push);
}

describe('kafka sandbox version negotiation with kafkajs', () => {
  let sandbox: KafkaSandbox;
  let kafka: Kafka;
  const brokerLog: string[] = [];

  beforeAll(async () => {
    sandbox = await startKafkaSandbox({ log: (line) => brokerLog.push(line) });
    kafka = kafkaClient(sandbox.brokers);
  });

  afterAll(async () => {
    await sandbox.close();
  });

  it('uses the versions it would use with a Kafka 4.x broker for producer, consumer and admin', async () => {
    const requests: RequestPayload[] = [];
    const topic = uniqueName('neg');
    const groupId = uniqueName('neg-g');

    const admin = kafka.admin();
    record(admin, requests);
    await admin.connect();
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] })).toBe(true);
    await admin.fetchTopicMetadata({ topics: [topic] });

    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    record(producer, requests);
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });

    const consumer = kafka.consumer({ groupId, ...FAST_CONSUMER, rackId: 'rack-1' });
    record(consumer, requests);
    const received: string[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push(message.value!.toString());
      },
    });
    await waitFor(() => received.length === 2, 'both records consumed');
    // The auto-commits and a heartbeat follow within a few heartbeat intervals.
    let committed: string[] = [];
    await waitFor(() => committed.join() === '1,1' && requests.some((r) => apiName(r.apiKey) === 'Heartbeat'), 'commits and a heartbeat', 15_000, async () => {
      const [fetched] = await admin.fetchOffsets({ groupId, topics: [topic] });
      committed = fetched.partitions.map((p) => p.offset);
    });
    await consumer.stop();
    await consumer.disconnect();

    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => o.high).sort()).toEqual(['1', '1']);
    const described = await admin.describeGroups([groupId]);
    expect(described.groups[0]).toMatchObject({ groupId, state: 'Empty' });
    expect((await admin.listGroups()).groups).toEqual(expect.arrayContaining([{ groupId, protocolType: 'consumer' }]));
    await admin.deleteGroups([groupId]);
    await admin.deleteTopics({ topics: [topic] });
    await producer.disconnect();
    await admin.disconnect();

    expect(versionsByApi(requests)).toEqual({
      ApiVersions: [2],
      Metadata: [6],
      CreateTopics: [3],
      InitProducerId: [1],
      Produce: [7],
      FindCoordinator: [2],
      JoinGroup: [5],
      SyncGroup: [3],
      OffsetFetch: [4],
      ListOffsets: [3],
      Fetch: [11],
      Heartbeat: [3],
      OffsetCommit: [5],
      LeaveGroup: [3],
      DescribeGroups: [2],
      ListGroups: [2],
      DeleteGroups: [1],
      DeleteTopics: [1],
    });
  });

  it('rejoins with the member id that MEMBER_ID_REQUIRED hands out, for every member of a group', async () => {
    const topic = uniqueName('mid');
    const groupId = uniqueName('mid-g');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });

    const requests: RequestPayload[] = [];
    const consumers: Consumer[] = [];
    const received = new Map<string, string[]>();
    try {
      for (const name of ['mid-a', 'mid-b']) {
        const consumer = kafkaClient(sandbox.brokers, { clientId: name }).consumer({ groupId, ...FAST_CONSUMER });
        consumers.push(consumer);
        record(consumer, requests);
        received.set(name, []);
        await consumer.connect();
        await consumer.subscribe({ topic, fromBeginning: true });
        await consumer.run({
          eachMessage: async ({ message }) => {
            received.get(name)!.push(message.value!.toString());
          },
        });
      }

      let members: { memberId: string; clientId: string }[] = [];
      await waitFor(() => members.length === 2, 'a stable group of two', 20_000, async () => {
        const g = (await admin.describeGroups([groupId])).groups[0];
        members = g.state === 'Stable' ? g.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId })) : [];
      });

      // Each client's first join got MEMBER_ID_REQUIRED with the id it is a member under now.
      const handedOut = brokerLog
        .filter((l) => l.includes(`group ${groupId}: `) && l.endsWith('must rejoin with its new member id'))
        .map((l) => l.split(`group ${groupId}: `)[1].split(' ')[0]);
      expect(handedOut).toHaveLength(2);
      expect(members.map((m) => m.memberId).sort()).toEqual([...handedOut].sort());
      for (const m of members) expect(m.memberId.startsWith(`${m.clientId}-`)).toBe(true);
      // An id handed out but never used would stay pending; none did.
      expect(brokerLog.some((l) => l.includes(`group ${groupId}: pending`))).toBe(false);
      const joins = requests.filter((r) => apiName(r.apiKey) === 'JoinGroup');
      expect(new Set(joins.map((r) => r.apiVersion))).toEqual(new Set([5]));
      for (const name of ['mid-a', 'mid-b']) {
        expect(joins.filter((r) => r.clientId === name).length).toBeGreaterThanOrEqual(2);
      }

      const producer = kafka.producer();
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'p0', partition: 0 }, { value: 'p1', partition: 1 }] });
      await producer.disconnect();
      await waitFor(() => [...received.values()].flat().length === 2, 'both records consumed');
      // Two members, two partitions: each member read one of them.
      expect([...received.values()].map((v) => v.length)).toEqual([1, 1]);
    } finally {
      await Promise.all(consumers.map((c) => c.disconnect().catch(() => {})));
      await admin.disconnect();
    }
  });
});
