import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createTopicsServed } from '../../../src/cli/demo-stack.js';
import { Kafka, logLevel } from 'kafkajs';
import { startBrazeSandbox, type BrazeSandbox } from '@tributary/sandbox';
import { ProcessorHarness } from '../../helpers/processors.js';
import { SESSION_TIMEOUT_MS, readTopic, removeExternalResources, trackExternal, uniqueTopics, waitFor } from '../../helpers/e2e.js';

const SMS = '7b2e9d4c-1a3f-4b5e-9c7d-2e4f6a8b0c1d';
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

describe('Quikly\'s subscription wait', () => {
  it('survives a SIGKILL during the wait: after a restart every phone is subscribed and credited exactly once', async () => {
    harness = await new ProcessorHarness().startInfra();
    const { brokers, registryUrl } = harness;
    braze = await startBrazeSandbox({ seed: 13, subscriptionGroups: { [SMS]: 'sms' } });
    const topics = uniqueTopics();
    const configFile = join(harness.dir, 'tributary.yaml');
    const groupId = `quikly-restart-${randomUUID()}`;
    const owned = [topics.quiklyActivations!, topics.quiklyDelayed!, topics.quiklyCredits!, topics.deadLetter!];
    trackExternal({ topics: owned, groups: [groupId] });
    writeFileSync(configFile, [
      'kafka:',
      `  groupId: ${groupId}`,
      `  sessionTimeoutMs: ${SESSION_TIMEOUT_MS}`,
      `  rebalanceTimeoutMs: ${SESSION_TIMEOUT_MS}`,
      '  heartbeatIntervalMs: 200',
      '  maxWaitTimeMs: 100',
      'topics:',
      `  quiklyActivations: ${topics.quiklyActivations}`,
      `  quiklyDelayed: ${topics.quiklyDelayed}`,
      `  quiklyCredits: ${topics.quiklyCredits}`,
      `  deadLetter: ${topics.deadLetter}`,
      '  consume: [quiklyActivations]',
      'braze:',
      '  lingerMs: 5',
      '  ambiguityWindowMs: 1000',
      'partners:',
      '  quikly:',
      '    subscriptionDelayMs: 4000',
      '    creditsFormat: json',
      'pipeline:',
      '  commitIntervalMs: 100',
      'observability:',
      '  port: null',
      '  logLevel: error',
      '',
    ].join('\n'));
    const env = { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registryUrl, BRAZE_REST_ENDPOINT: braze.url, BRAZE_API_KEY: braze.apiKey };
    const kafka = new Kafka({ clientId: 'quikly-producer', brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    await createTopicsServed(admin, owned.map((topic) => ({ topic, numPartitions: 2 })));
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const total = 5;
    const phones = Array.from({ length: total }, (_, n) => `+1555557000${n}`);
    await producer.send({
      topic: topics.quiklyActivations!,
      messages: phones.map((phone, n) => ({
        key: `fan${n}@example.com`,
        value: JSON.stringify({ activation_id: `act-${n}`, kind: 'sms_acquisition', occurred_at: Date.now(), email: `fan${n}@example.com`, phone, subscription_group_id: SMS, attributes: {} }),
      })),
    });
    await producer.disconnect();

    const state = braze.state;
    const subscriptions = () => state.requests({ path: '/v2/subscription/status/set' }).length;
    const first = startProcessor(configFile, env);
    // Every profile is created and its subscription handed to the delay topic: the processor is now waiting.
    await readTopic(brokers, topics.quiklyDelayed!, total, 30_000);
    expect(state.profileCount()).toBe(total);
    expect(subscriptions()).toBe(0);
    first.kill('SIGKILL');
    await new Promise((r) => first.once('exit', r));
    expect(subscriptions()).toBe(0);

    const second = startProcessor(configFile, env);
    const credits = (await readTopic(brokers, topics.quiklyCredits!, total, 60_000)).map((e) => JSON.parse(e.value!.toString()) as { activation_id: string; outcome: string });
    expect(credits.map((c) => [c.activation_id, c.outcome]).sort()).toEqual(phones.map((_, n) => [`act-${n}`, 'credited']));
    for (const phone of phones) {
      const res = await fetch(`${braze.url}/subscription/status/get?subscription_group_id=${SMS}&phone=${encodeURIComponent(phone)}`, { headers: { authorization: `Bearer ${braze.apiKey}` } });
      expect(((await res.json()) as { status: Record<string, string> }).status[phone]).toBe('Subscribed');
    }
    await waitFor(() => subscriptions() >= 1, 'the subscriptions');
    const exited = new Promise<number | null>((r) => second.once('exit', (code) => r(code)));
    second.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
