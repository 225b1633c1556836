// Runs in the real-Kafka leg (npm run test:kafka, or TRIBUTARY_TEST_KAFKA_BROKERS with vitest.kafka.config.ts; without it, on the embedded broker):
// the start-up topic check and `status` read what a real broker answers, not only what the sandbox does.
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startKafkaSandbox } from '@tributary/sandbox';
import { loadConfig } from '../../../src/config/index.js';
import { requiredTopics, startTributary, type TributaryApp } from '../../../src/app/tributary-app.js';
import { waitForLeaders } from '../../../src/adapters/kafka/topic-check.js';
import { readStatus } from '../../../src/cli/status.js';
import { EXTERNAL_KAFKA, fastOverrides, removeExternalResources, trackExternal, waitFor } from '../../helpers/e2e.js';
import { createLogger } from '../../../src/observability/logger.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  await removeExternalResources();
});

async function brokers(): Promise<string[]> {
  if (EXTERNAL_KAFKA) return [...EXTERNAL_KAFKA];
  const kafka = await startKafkaSandbox({ host: '127.0.0.1', port: 0, autoCreate: false, minSessionTimeoutMs: 100 });
  cleanups.push(() => kafka.close());
  return [...kafka.brokers];
}

describe('start-up topic check and status, on real Kafka too', () => {
  it('refuses missing topics, then with waitForTopics starts once they exist; status then shows the group and its partitions', async () => {
    const list = await brokers();
    const overrides = fastOverrides({
      kafka: { brokers: list },
      braze: { restEndpoint: 'http://127.0.0.1:1', apiKey: 'k' },
      schemaRegistry: { url: null },
      topics: { consume: ['actioniqEvents', 'quiklyActivations'] },
    });
    const config = await loadConfig({ env: {}, overrides });
    const required = requiredTopics(config).map((t) => t.name);
    trackExternal({ topics: required, groups: [config.kafka.groupId] });
    expect(required).toEqual([config.topics.actioniqEvents, config.topics.quiklyActivations, config.topics.quiklyDelayed, config.topics.deadLetter, config.topics.quiklyCredits]);

    const refused = await startTributary(config).catch((e: unknown) => e);
    expect((refused as { code?: string }).code).toBe('topics_missing');
    for (const name of required) expect((refused as Error).message).toContain(`--create --topic ${name}`);

    const waiting = await loadConfig({ env: {}, overrides: { ...overrides, kafka: { ...overrides.kafka, waitForTopics: true } } });
    const warnings: string[] = [];
    const logger = createLogger({ level: 'warn', destination: { write: (line: string) => void warnings.push(line) } });
    let app: TributaryApp | null = null;
    const starting = startTributary(waiting, { topicPollMs: 100, logger }).then((a) => (app = a));
    cleanups.push(async () => void (await (await starting).stop()));
    await waitFor(() => warnings.some((w) => w.includes('waiting for topics')), 'the waiting notice');
    expect(app).toBeNull();
    const admin = new Kafka({ brokers: list, logLevel: logLevel.NOTHING }).admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    await admin.createTopics({ waitForLeaders: false, topics: required.map((topic) => ({ topic, numPartitions: 2 })) });
    await waitForLeaders(admin, required);
    const started = await starting;
    await waitFor(() => started.state() === 'running', 'the app running');

    const status = await readStatus(waiting);
    expect(status.topics.map((t) => t.topic)).toEqual([config.topics.actioniqEvents, config.topics.quiklyActivations, config.topics.quiklyDelayed]);
    expect(status.members).toHaveLength(1);
    for (const t of status.topics) {
      expect(t.partitions.map((p) => [p.partition, p.committed, p.lag, p.assignedTo])).toEqual([[0, null, 0, config.kafka.clientId], [1, null, 0, config.kafka.clientId]]);
    }
    expect(status.deadLetters).toEqual({ topic: config.topics.deadLetter, exists: true, count: 0 });
  }, 120_000);
});
