import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopicsServed } from '../../../src/cli/demo-stack.js';
import { Kafka, logLevel } from 'kafkajs';
import { startBrazeSandbox, type BrazeSandbox } from '@tributary/sandbox';
import { ProcessorHarness } from '../../helpers/processors.js';
import { SESSION_TIMEOUT_MS, eventNumbers, removeExternalResources, trackExternal, uniqueTopics, waitFor } from '../../helpers/e2e.js';

let braze: BrazeSandbox | null = null;
let harness: ProcessorHarness | null = null;

afterEach(async () => {
  await braze?.close();
  braze = null;
  await harness?.close();
  harness = null;
  await removeExternalResources();
});

function startProcessor(configFile: string, env: Record<string, string>): ChildProcess {
  return harness!.start(configFile, env);
}

describe('at-least-once delivery', () => {
  it('every record\'s effect is present after a processor is killed mid-stream and another takes over', async () => {
    // Slow, small requests one at a time, so the first processor is surely mid-stream when it is killed.
    harness = await new ProcessorHarness().startInfra();
    const { brokers, registryUrl } = harness;
    braze = await startBrazeSandbox({ seed: 11, latencyMs: 20 });
    // A quarter of the track requests fail with 5xx: some records are mid-retry when the processor dies.
    braze.state.faults.set({ paths: ['/users/track'], errorRate: 0.25 });
    const topics = uniqueTopics();
    const TOPIC = topics.actioniqEvents!;
    const configFile = join(harness.dir, 'tributary.yaml');
    const groupId = `alo-${randomUUID()}`;
    trackExternal({ topics: [TOPIC, topics.deadLetter!], groups: [groupId] });
    writeFileSync(
      configFile,
      [
        'kafka:',
        `  groupId: ${groupId}`,
        `  sessionTimeoutMs: ${SESSION_TIMEOUT_MS}`,
        `  rebalanceTimeoutMs: ${SESSION_TIMEOUT_MS}`,
        '  heartbeatIntervalMs: 200',
        '  maxWaitTimeMs: 100',
        'topics:',
        `  actioniqEvents: ${TOPIC}`,
        `  deadLetter: ${topics.deadLetter}`,
        '  consume: [actioniqEvents]',
        'braze:',
        '  lingerMs: 5',
        '  ambiguityWindowMs: 1000',
        '  maxConcurrentRequests: 1',
        '  maxObjectsPerRequest: 10',
        '  retry: { maxAttempts: 50, baseMs: 5, maxMs: 50 }',
        'pipeline:',
        '  commitIntervalMs: 100',
        'observability:',
        '  port: null',
        '  logLevel: error',
        '',
      ].join('\n'),
    );
    // The child's production configuration: the test's broker, whether sandbox or TRIBUTARY_TEST_KAFKA_BROKERS.
    const env = {
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      BRAZE_REST_ENDPOINT: braze.url,
      BRAZE_API_KEY: braze.apiKey,
    };
    const kafka = new Kafka({ clientId: 'alo-producer', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsServed(admin, [{ topic: TOPIC, numPartitions: 3 }, { topic: topics.deadLetter!, numPartitions: 1 }]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const total = 600;
    const messages = Array.from({ length: total }, (_, n) => ({
      key: `user-${n % 50}`,
      value: JSON.stringify({ name: 'numbered', external_id: `user-${n % 50}`, timestamp: Date.parse('2026-05-01T00:00:00Z') + n, properties: { n } }),
    }));
    await producer.send({ topic: TOPIC, messages });
    await producer.disconnect();

    const first = startProcessor(configFile, env);
    const state = braze.state;
    await waitFor(() => eventNumbers(state.profiles(), 'numbered').size >= 100, 'the first processor to deliver some records', 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const deliveredBeforeKill = eventNumbers(state.profiles(), 'numbered').size;
    expect(deliveredBeforeKill).toBeLessThan(total);

    state.faults.set({ paths: ['/users/track'], errorRate: 0.1 });
    state.configure({ latencyMs: 0 });
    const second = startProcessor(configFile, env);
    await waitFor(() => eventNumbers(state.profiles(), 'numbered').size === total, `all ${total} records' events in Braze`, 60_000);
    const exited = new Promise<number | null>((r) => second.once('exit', (code) => r(code)));
    second.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
