import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaSandbox, type KafkaSandbox } from '@tributary/sandbox';
import { loadConfig } from '../../../src/config/index.js';
import { requiredTopics, startTributary, type TributaryApp } from '../../../src/app/tributary-app.js';
import { fastOverrides, waitFor } from '../../helpers/e2e.js';
import { createLogger } from '../../../src/observability/logger.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function kafkaWithoutAutoCreate(): Promise<KafkaSandbox> {
  const kafka = await startKafkaSandbox({ host: '127.0.0.1', port: 0, autoCreate: false, minSessionTimeoutMs: 100 });
  cleanups.push(() => kafka.close());
  return kafka;
}

describe('start-up with missing topics', () => {
  it('`run` exits 1 naming every missing topic with a kafka-topics.sh line, and logs no kafkajs partitioner notice', async () => {
    const kafka = await kafkaWithoutAutoCreate();
    const broker = kafka.brokers[0]!;
    const child = spawn(process.execPath, ['--conditions=tributary-source', '--import', 'tsx', join(ROOT, 'src/main.ts'), 'run'], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: broker, BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'k', TRIBUTARY_METRICS_PORT: '0' },
    });
    cleanups.push(async () => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).toBe(1);
    const config = await loadConfig({ env: {}, requireBraze: false });
    const names = requiredTopics(config).map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['actioniq.audience-membership', 'tributary.quikly.delayed', 'tributary.dlq', 'quikly.credits']));
    expect(stderr).toContain(`topics do not exist on ${broker}`);
    for (const name of names) expect(stderr).toContain(`kafka-topics.sh --bootstrap-server ${broker} --create --topic ${name}`);
    expect(stderr).toContain('--topic tributary.quikly.delayed --config cleanup.policy=delete');
    expect(stderr).toContain('kafka.waitForTopics: true');
    expect(stderr).not.toContain('This server does not host this topic-partition');
    expect(stderr).not.toMatch(/partitioner/i);
  }, 60_000);

  it('`run` against brokers that do not answer exits 1 naming the address and KAFKA_BROKERS', async () => {
    // A port that was free a moment ago: nothing listens on it.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));
    const child = spawn(process.execPath, ['--conditions=tributary-source', '--import', 'tsx', join(ROOT, 'src/main.ts'), 'run'], {
      cwd: ROOT,
      env: { ...process.env, KAFKA_BROKERS: `127.0.0.1:${port}`, BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'k', TRIBUTARY_METRICS_PORT: '0', TRIBUTARY_LOG_LEVEL: 'silent' },
    });
    cleanups.push(async () => void child.kill('SIGKILL'));
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    expect(await new Promise<number | null>((r) => child.on('exit', r))).toBe(1);
    expect(stderr).toContain(`tributary run: [kafka_unreachable] cannot reach Kafka at 127.0.0.1:${port}`);
    expect(stderr).toContain('check KAFKA_BROKERS');
  }, 60_000);

  it('with kafka.waitForTopics waits, and starts once the topics are created', async () => {
    const kafka = await kafkaWithoutAutoCreate();
    const config = await loadConfig({
      env: {},
      overrides: fastOverrides({
        kafka: { brokers: [...kafka.brokers], waitForTopics: true },
        braze: { restEndpoint: 'http://127.0.0.1:1', apiKey: 'k' },
        schemaRegistry: { url: null },
      }),
    });
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void warnings.push(line) } });
    let app: TributaryApp | null = null;
    const starting = startTributary(config, { topicPollMs: 50, logger }).then((a) => (app = a));
    cleanups.push(async () => void (await (await starting).stop()));
    await waitFor(() => warnings.some((w) => w.includes('waiting for topics')), 'the waiting notice');
    expect(app).toBeNull();
    const admin = new Kafka({ brokers: [...kafka.brokers], logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    await admin.createTopics({ waitForLeaders: false, topics: requiredTopics(config).map((t) => ({ topic: t.name, numPartitions: 1 })) });
    await admin.disconnect();
    const started = await starting;
    await waitFor(() => started.state() === 'running', 'the app running');
  }, 60_000);
});
