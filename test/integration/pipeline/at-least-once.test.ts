import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startSandbox, type Sandbox } from '../../../src/sandbox/index.js';
import { eventNumbers, waitFor } from '../../helpers/e2e.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const TOPIC = 'actioniq.events';

let sandbox: Sandbox | null = null;
const children: ChildProcess[] = [];
let dir: string | null = null;

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
  await sandbox?.close();
  sandbox = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

function startProcessor(configFile: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'src/main.ts'), 'run', '--config', configFile], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr!.resume();
  children.push(child);
  return child;
}

describe('at-least-once delivery', () => {
  it('every record\'s effect is present after a processor is killed mid-stream and another takes over', async () => {
    // Slow, small requests one at a time, so the first processor is surely mid-stream when it is killed.
    sandbox = await startSandbox({ kafka: { partitions: 3, minSessionTimeoutMs: 100 }, braze: { seed: 11, latencyMs: 20 } });
    // A quarter of the track requests fail with 5xx: some records are mid-retry when the processor dies.
    sandbox.braze.state.faults.set({ paths: ['/users/track'], errorRate: 0.25 });
    dir = mkdtempSync(join(tmpdir(), 'tributary-alo-'));
    const configFile = join(dir, 'tributary.yaml');
    writeFileSync(
      configFile,
      [
        'kafka:',
        `  groupId: alo-${randomUUID()}`,
        '  sessionTimeoutMs: 2000',
        '  rebalanceTimeoutMs: 2000',
        '  heartbeatIntervalMs: 200',
        '  maxWaitTimeMs: 100',
        'topics:',
        '  consume: [actioniqEvents]',
        'braze:',
        '  lingerMs: 5',
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
    const env = {
      KAFKA_BROKERS: sandbox.kafka.brokers.join(','),
      SCHEMA_REGISTRY_URL: sandbox.schemaRegistry.url,
      BRAZE_REST_ENDPOINT: sandbox.braze.url,
      BRAZE_API_KEY: sandbox.braze.apiKey,
    };
    const kafka = new Kafka({ clientId: 'alo-producer', brokers: sandbox.kafka.brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 3 }, { topic: 'tributary.dlq', numPartitions: 1 }] });
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
    const braze = sandbox.braze.state;
    await waitFor(() => eventNumbers(braze.profiles(), 'numbered').size >= 100, 'the first processor to deliver some records', 30_000);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    const deliveredBeforeKill = eventNumbers(braze.profiles(), 'numbered').size;
    expect(deliveredBeforeKill).toBeLessThan(total);

    braze.faults.set({ paths: ['/users/track'], errorRate: 0.1 });
    braze.configure({ latencyMs: 0 });
    const second = startProcessor(configFile, env);
    await waitFor(() => eventNumbers(braze.profiles(), 'numbered').size === total, `all ${total} records' events in Braze`, 60_000);
    const exited = new Promise<number | null>((r) => second.once('exit', (code) => r(code)));
    second.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
