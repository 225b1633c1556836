import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBrazeSandbox, startKafkaSandbox, startSchemaRegistry, type BrazeSandbox } from '@tributary/sandbox';
import { EXTERNAL_KAFKA, EXTERNAL_REGISTRY, SESSION_TIMEOUT_MS, childEnv, eventNumbers, removeExternalResources, trackExternal, uniqueTopics, waitFor } from '../../helpers/e2e.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
let braze: BrazeSandbox | null = null;
const closers: Array<() => Promise<void>> = [];
const children: ChildProcess[] = [];
let dir: string | null = null;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await braze?.close();
  braze = null;
  for (const close of closers.splice(0)) await close();
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
  await removeExternalResources();
});

function startProcessor(configFile: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'run', '--config', configFile], {
    cwd: ROOT,
    env: childEnv(env),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.resume();
  children.push(child);
  return child;
}

describe('at-least-once delivery', () => {
  it('every record\'s effect is present after a processor is killed mid-stream and another takes over', async () => {
    // Slow, small requests one at a time, so the first processor is surely mid-stream when it is killed.
    let brokers = EXTERNAL_KAFKA;
    if (!brokers) {
      const kafkaSandbox = await startKafkaSandbox({ partitions: 3, minSessionTimeoutMs: 100 });
      closers.push(() => kafkaSandbox.close());
      brokers = kafkaSandbox.brokers;
    }
    let registryUrl = EXTERNAL_REGISTRY;
    if (!registryUrl) {
      const registry = await startSchemaRegistry();
      closers.push(() => registry.close());
      registryUrl = registry.url;
    }
    braze = await startBrazeSandbox({ seed: 11, latencyMs: 20 });
    // A quarter of the track requests fail with 5xx: some records are mid-retry when the processor dies.
    braze.state.faults.set({ paths: ['/users/track'], errorRate: 0.25 });
    const topics = uniqueTopics();
    const TOPIC = topics.actioniqEvents!;
    dir = mkdtempSync(join(tmpdir(), 'tributary-alo-'));
    const configFile = join(dir, 'tributary.yaml');
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
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }, { topic: topics.deadLetter!, numPartitions: 1 }] });
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
