import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AssignerProtocol, type Consumer, type Kafka } from 'kafkajs';
import { type KafkaSandbox, startKafkaSandbox } from '../../../src/kafka/index.js';
import { FAST_CONSUMER, kafkaClient, uniqueName, waitFor } from './helpers.js';

const PACKAGE_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CHILD_MEMBER = fileURLToPath(new URL('./fixtures/group-member.ts', import.meta.url));

interface Delivery {
  member: string;
  partition: number;
  offset: number;
  value: string;
}

describe('kafka sandbox consumer groups', () => {
  let sandbox: KafkaSandbox;
  let kafka: Kafka;
  const consumers: Consumer[] = [];
  const children: ChildProcess[] = [];
  const brokerLog: string[] = [];

  beforeAll(async () => {
    sandbox = await startKafkaSandbox({ log: (line) => brokerLog.push(line) });
    kafka = kafkaClient(sandbox.brokers);
  });

  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await Promise.all(consumers.splice(0).map((c) => c.disconnect().catch(() => {})));
  });

  afterAll(async () => {
    await sandbox.close();
  });

  async function createTopic(partitions: number): Promise<string> {
    const topic = uniqueName('grp');
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions }] });
    await admin.disconnect();
    return topic;
  }

  async function produce(topic: string, partitions: number, count: number, prefix: string): Promise<string[]> {
    const producer = kafka.producer();
    await producer.connect();
    const messages = Array.from({ length: count }, (_, i) => ({ value: `${prefix}-${i}`, partition: i % partitions }));
    await producer.send({ topic, messages });
    await producer.disconnect();
    return messages.map((m) => m.value);
  }

  async function startMember(name: string, groupId: string, topic: string, deliveries: Delivery[]): Promise<Consumer> {
    const consumer = kafkaClient(sandbox.brokers, { clientId: name }).consumer({ groupId, ...FAST_CONSUMER });
    consumers.push(consumer);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        deliveries.push({ member: name, partition, offset: Number(message.offset), value: message.value!.toString() });
      },
    });
    return consumer;
  }

  it('gives every partition to exactly one of three members', async () => {
    const partitions = 6;
    const topic = await createTopic(partitions);
    const groupId = uniqueName('g3');
    const deliveries: Delivery[] = [];
    for (const name of ['m1', 'm2', 'm3']) await startMember(name, groupId, topic, deliveries);

    const assignment = await waitForStableGroup(kafka, groupId, topic, 3);
    const all = [...assignment.values()].flat().sort((a, b) => a - b);
    expect(all).toEqual([0, 1, 2, 3, 4, 5]);
    for (const owned of assignment.values()) expect(owned).toHaveLength(2);

    const values = await produce(topic, partitions, 60, 'r');
    await waitFor(() => deliveries.length >= values.length, 'all records delivered');
    expect(deliveries.map((d) => d.value).sort()).toEqual([...values].sort());
    // Each partition was read by one member only.
    const readers = new Map<number, Set<string>>();
    for (const d of deliveries) readers.set(d.partition, (readers.get(d.partition) ?? new Set()).add(d.member));
    for (const set of readers.values()) expect(set.size).toBe(1);
  });

  it('hands partitions over when one member dies without leaving and another leaves', async () => {
    const partitions = 6;
    const topic = await createTopic(partitions);
    const groupId = uniqueName('gx');
    const deliveries: Delivery[] = [];

    const child = fork(CHILD_MEMBER, [], {
      execArgv: ['--import', 'tsx'],
      cwd: PACKAGE_ROOT, // where `--import tsx` is resolved from
      env: { ...process.env, SANDBOX_BROKERS: sandbox.brokers.join(','), SANDBOX_TOPIC: topic, SANDBOX_GROUP: groupId },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    });
    children.push(child);
    child.on('message', (m: { type: string; partition?: number; offset?: string; value?: string }) => {
      if (m.type === 'message') deliveries.push({ member: 'child', partition: m.partition!, offset: Number(m.offset), value: m.value! });
    });
    const a = await startMember('a', groupId, topic, deliveries);
    await startMember('b', groupId, topic, deliveries);
    await waitForStableGroup(kafka, groupId, topic, 3);

    const phase1 = await produce(topic, partitions, 60, 'p1');
    await waitFor(() => phase1.every((v) => deliveries.some((d) => d.value === v)), 'phase 1 delivered');
    expect(new Set(deliveries.map((d) => d.member))).toEqual(new Set(['a', 'b', 'child']));

    // Death: no LeaveGroup, no more heartbeats; the broker notices when the session expires.
    child.kill('SIGKILL');
    const phase2 = await produce(topic, partitions, 60, 'p2');
    await waitFor(() => phase2.every((v) => deliveries.some((d) => d.value === v)), 'phase 2 delivered after the death');
    const afterDeath = await waitForStableGroup(kafka, groupId, topic, 2);
    // The broker noticed the death through the session timeout, not through a LeaveGroup.
    const expiry = new RegExp(`group ${groupId}: child-member-\\S+ session expired`);
    expect(brokerLog.filter((l) => expiry.test(l))).toHaveLength(1);
    expect([...afterDeath.values()].flat().sort((x, y) => x - y)).toEqual([0, 1, 2, 3, 4, 5]);

    await a.disconnect();
    const phase3 = await produce(topic, partitions, 60, 'p3');
    await waitFor(() => phase3.every((v) => deliveries.some((d) => d.value === v && d.member === 'b')), 'phase 3 delivered to the survivor');

    const expected = [...phase1, ...phase2, ...phase3];
    const seen = new Set(deliveries.map((d) => d.value));
    expect(expected.every((v) => seen.has(v))).toBe(true);
    // Only what the dead member had read but maybe not committed may come twice.
    const byChild = new Set(deliveries.filter((d) => d.member === 'child').map((d) => d.value));
    const counts = new Map<string, number>();
    for (const d of deliveries) counts.set(d.value, (counts.get(d.value) ?? 0) + 1);
    for (const [value, count] of counts) if (count > 1) expect(byChild.has(value)).toBe(true);
  });
});

/** Polls DescribeGroups until the group is Stable with `members` members; returns who owns what. */
async function waitForStableGroup(kafka: Kafka, groupId: string, topic: string, members: number): Promise<Map<string, number[]>> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    let owned = new Map<string, number[]>();
    await waitFor(() => owned.size === members, `group ${groupId} stable with ${members} members`, 20_000, async () => {
      const { groups } = await admin.describeGroups([groupId]);
      const g = groups[0];
      owned = new Map();
      if (g.state !== 'Stable' || g.members.length !== members) return;
      for (const m of g.members) {
        const decoded = AssignerProtocol.MemberAssignment.decode(m.memberAssignment);
        owned.set(m.memberId, decoded?.assignment[topic] ?? []);
      }
    });
    return owned;
  } finally {
    await admin.disconnect();
  }
}
