// Runs in the real-Kafka leg only (npm run test:kafka, or TRIBUTARY_TEST_KAFKA_BROKERS=host:port with
// vitest.kafka.config.ts): the sandbox broker must make kafkajs speak exactly the protocol versions it speaks to
// real Kafka, or the sandbox tests a different client code path than production runs.
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel, type InstrumentationEvent } from 'kafkajs';
import { createTopicsServed } from '../../../src/cli/demo-stack.js';
import { startKafkaSandbox } from '@tributary/sandbox';
import { EXTERNAL_KAFKA, SESSION_TIMEOUT_MS, removeExternalResources, trackExternal, waitFor } from '../../helpers/e2e.js';

type VersionMap = Record<string, number[]>;

afterEach(async () => {
  await removeExternalResources();
});

/**
 * The product's Kafka traffic in small: admin topic and group calls, a plain and an idempotent producer (the
 * dead-letter writer's settings), and a group consumer that commits by hand and describes its group.
 * Returns every API kafkajs sent, with the versions it chose.
 */
async function workload(brokers: string[]): Promise<VersionMap> {
  const used = new Map<string, Set<number>>();
  const record = (e: InstrumentationEvent<{ apiName: string; apiVersion: number }>) => {
    let versions = used.get(e.payload.apiName);
    if (!versions) used.set(e.payload.apiName, (versions = new Set()));
    versions.add(e.payload.apiVersion);
  };
  const id = randomUUID().slice(0, 8);
  const topic = `negotiated-versions-${id}`;
  const groupId = `negotiated-versions-${id}`;
  trackExternal({ topics: [topic], groups: [groupId] });
  const kafka = new Kafka({ clientId: 'negotiated-versions', brokers, logLevel: logLevel.NOTHING });

  const admin = kafka.admin();
  admin.on(admin.events.REQUEST, record);
  await admin.connect();
  const producer = kafka.producer();
  producer.on(producer.events.REQUEST, record);
  const idempotent = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  idempotent.on(idempotent.events.REQUEST, record);
  const consumer = kafka.consumer({ groupId, sessionTimeout: SESSION_TIMEOUT_MS, rebalanceTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: 200, maxWaitTimeInMs: 100, allowAutoTopicCreation: false });
  consumer.on(consumer.events.REQUEST, record);
  try {
    expect(await createTopicsServed(admin, [{ topic, numPartitions: 2 }])).toBe(true);
    expect(await admin.listTopics()).toContain(topic);
    await producer.connect();
    await producer.send({ topic, messages: [{ key: 'k1', value: 'plain', headers: { h: 'v' } }] });
    await idempotent.connect();
    await idempotent.send({ topic, messages: [{ key: 'k2', value: 'idempotent' }, { key: 'k3', value: 'idempotent' }] });

    // By offset: a consumer that restarts reads again what it had not committed.
    const seen = new Map<string, string>();
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ topic: t, partition, message }) => {
        seen.set(`${partition}:${message.offset}`, String(message.value));
        await consumer.commitOffsets([{ topic: t, partition, offset: String(Number(message.offset) + 1) }]);
      },
    });
    await waitFor(() => seen.size >= 3, 'the consumer to read the three records');
    // A member heartbeats on its own schedule; wait for one so both runs cover the same APIs.
    await waitFor(() => used.has('Heartbeat'), 'a heartbeat');
    expect([...seen.values()].sort()).toEqual(['idempotent', 'idempotent', 'plain']);
    expect((await consumer.describeGroup()).state).toBe('Stable');
    await consumer.disconnect();

    expect((await admin.listGroups()).groups.map((g) => g.groupId)).toContain(groupId);
    const [described] = (await admin.describeGroups([groupId])).groups;
    expect(described?.state).toBe('Empty');
    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    // A partition without records has no committed offset (-1).
    expect(committed[0]!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0)).toBe(3);
    const ends = await admin.fetchTopicOffsets(topic);
    expect(ends.reduce((sum, p) => sum + Number(p.high), 0)).toBe(3);
    await admin.deleteGroups([groupId]);
    await admin.deleteTopics({ topics: [topic], timeout: 30_000 });
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await idempotent.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
  return Object.fromEntries([...used].sort(([a], [b]) => a.localeCompare(b)).map(([api, v]) => [api, [...v].sort((a, b) => a - b)]));
}

function table(real: VersionMap, sandbox: VersionMap): string {
  const apis = [...new Set([...Object.keys(real), ...Object.keys(sandbox)])].sort();
  const cell = (v: number[] | undefined) => (v ? v.join(',') : '-');
  const rows = apis.map((api) => `${api.padEnd(16)} ${cell(real[api]).padEnd(6)} ${cell(sandbox[api]).padEnd(8)}${cell(real[api]) === cell(sandbox[api]) ? '' : '  <- differs'}`);
  return ['API              real   sandbox', ...rows].join('\n');
}

describe('protocol versions kafkajs negotiates', () => {
  it('are the same with the sandbox broker as with real Kafka, for the product\'s whole Kafka workload', async () => {
    if (!EXTERNAL_KAFKA) throw new Error('this test compares against real Kafka: run it through `npm run test:kafka`, or set TRIBUTARY_TEST_KAFKA_BROKERS');
    const real = await workload(EXTERNAL_KAFKA);
    const sandboxBroker = await startKafkaSandbox({ minSessionTimeoutMs: 100 });
    let sandbox: VersionMap;
    try {
      sandbox = await workload(sandboxBroker.brokers);
    } finally {
      await sandboxBroker.close();
    }
    console.log(`kafkajs API versions (apiName: versions used)\nreal Kafka (${EXTERNAL_KAFKA.join(',')}): ${JSON.stringify(real)}\nsandbox: ${JSON.stringify(sandbox)}\n${table(real, sandbox)}`);
    // The real broker supports every API kafkajs uses here: a map without them would compare nothing.
    expect(Object.keys(real)).toEqual(expect.arrayContaining(['ApiVersions', 'Metadata', 'Produce', 'Fetch', 'JoinGroup', 'OffsetCommit', 'InitProducerId', 'DeleteGroups']));
    expect(sandbox).toEqual(real);
  }, 90_000);
});
