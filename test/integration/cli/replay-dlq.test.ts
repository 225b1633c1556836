import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import type { DemoStack } from '../../../src/cli/demo-stack.js';
import { SAMPLE_KOMO_HUB, SAMPLE_KOMO_HUB_CONFIG } from '../../../src/app/sample-records.js';
import { readLetters, startRedrive } from '../../../src/app/replay.js';
import { formatInspection, inspectLetters, maskEmail, maskPhone, maskValue } from '../../../src/cli/dlq.js';
import { createLogger } from '../../../src/observability/logger.js';
import type { TributaryConfig } from '../../../src/config/index.js';
import { childEnv, readDeadLetters, removeExternalResources, settled, startE2E } from '../../helpers/e2e.js';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const T0 = Date.parse('2026-05-01T10:00:00Z');
const silent = createLogger({ level: 'silent' });

let stack: DemoStack | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await stack?.close();
  stack = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  await removeExternalResources();
});

/** Runs the command against the stack (its topics and group through a config file) and collects its output. */
function tributary(s: DemoStack, args: string[], extra: Record<string, unknown> = {}, onStart?: (child: ReturnType<typeof spawn>, output: () => string) => void): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tributary-ops-'));
  dirs.push(dir);
  const file = join(dir, 'tributary.json');
  writeFileSync(file, JSON.stringify({ topics: s.config.topics, kafka: { groupId: s.config.kafka.groupId }, partners: { komo: { hubs: s.config.partners.komo.hubs } }, ...extra }));
  const child = spawn(process.execPath, ['--conditions=tributary-source', '--import', 'tsx', join(ROOT, 'src/main.ts'), ...args, '--config', file], {
    cwd: ROOT,
    env: childEnv({ KAFKA_BROKERS: s.brokers.join(','), SCHEMA_REGISTRY_URL: s.schemaRegistryUrl, BRAZE_REST_ENDPOINT: s.braze.url, BRAZE_API_KEY: s.braze.apiKey, TRIBUTARY_LOG_LEVEL: 'warn' }),
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  onStart?.(child, () => stderr);
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout, stderr })));
}

async function produce(s: DemoStack, topic: string, messages: Array<{ key: string; value: unknown }>): Promise<void> {
  const producer = new Kafka({ clientId: 'ops-test', brokers: [...s.brokers], logLevel: logLevel.NOTHING }).producer();
  await producer.connect();
  await producer.send({ topic, messages: messages.map((m, i) => ({ key: m.key, timestamp: String(T0 + i), value: JSON.stringify(m.value) })) });
  await producer.disconnect();
}

const submission = (n: number, hub: string) => ({
  key: `person${n}@example.com`,
  value: { submission_id: `s${n}`, hub_id: hub, card_id: 'c1', submitted_at: T0 + n, email: `person${n}@example.com`, phone: '+15555550100', fields: { first_name: `Name${n}`, favourite_flavour: 'mango', note: `call +15555550100 or write person${n}@example.com` } },
});

describe('replay and dlq commands', () => {
  it('`replay --dry-run -` prints only the request bodies and their counts on stdout, and nothing reaches Braze', async () => {
    stack = await startE2E({ partitions: 1 });
    const topic = stack.config.topics.actioniqUserAttributes;
    await produce(stack, topic, [0, 1, 2].map((i) => ({ key: `u${i}`, value: { external_id: `u${i}`, braze_id: null, attributes: { n: i }, updated_at: T0 + i } })));
    await settled(stack, 3);
    await stack.braze.state.reset();
    const r = await tributary(stack, ['replay', '--topic', topic, '--from', 'earliest', '--dry-run', '-']);
    expect(r.stderr).toContain('records read      3 of 3');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    const counts = lines.pop();
    const attributes = lines.flatMap((l) => {
      expect(l).toMatchObject({ endpoint: '/users/track', method: 'POST' });
      return (l.body as { attributes: Array<Record<string, unknown>> }).attributes;
    });
    expect(attributes.map((a) => a.n)).toEqual([0, 1, 2]);
    expect(counts).toEqual({ requests: lines.length, objects: 3, estimatedDataPoints: 3 });
    expect(stack.braze.state.requests({}).length).toBe(0);
  }, 60_000);

  it('inspect groups and masks the letters; redrive sends them again, a second failure is a new letter, and after the fix they land', async () => {
    stack = await startE2E({ partitions: 2 });
    const topic = stack.config.topics.komoSubmissions;
    await produce(stack, topic, [submission(1, 'hub-new'), submission(2, 'hub-new'), submission(3, SAMPLE_KOMO_HUB)]);
    await settled(stack, 3);
    expect(await readDeadLetters(stack.brokers, stack.config.topics.deadLetter, 2)).toHaveLength(2);

    const letters = await readLetters(stack.config, {}, silent);
    const inspection = await inspectLetters(stack.config, letters);
    expect(inspection.codes.map((g) => [g.code, g.count])).toEqual([['unknown_hub', 2]]);
    const sample = inspection.codes[0]!.samples[0]!;
    expect(sample.key).toMatch(/^p\*\*\*@example\.com$/);
    expect(sample.value).toMatchObject({ email: 'p***@example.com', phone: '+1******0100', fields: { first_name: 'N***', favourite_flavour: 'mango', note: 'call +1******0100 or write p***@example.com' } });
    const text = formatInspection(inspection);
    expect(text).toContain('unknown_hub  2');
    expect(text).not.toMatch(/person\d@|Name\d|5555550100/);
    expect((await readLetters(stack.config, { code: 'invalid_json' }, silent)).length).toBe(0);
    expect((await readLetters(stack.config, { sinceMs: Date.now() + 60_000 }, silent)).length).toBe(0);

    const json = await tributary(stack, ['dlq', 'inspect', '--json']);
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as { codes: unknown[] }).codes).toEqual([expect.objectContaining({ code: 'unknown_hub', count: 2 })]);
    expect(json.stdout).not.toMatch(/person\d@|Name\d|5555550100/);

    // A replay that dead-letters exits 1 and says where the letters went.
    const replay = await tributary(stack, ['replay', '--topic', topic, '--from', 'earliest']);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toContain('dead-lettered     2 (unknown_hub: 2)');
    expect(replay.stdout).toMatch(new RegExp(`written to ${stack.config.topics.deadLetter} partition \\d, offsets \\d+\\.\\.\\d+`));
    expect(await readDeadLetters(stack.brokers, stack.config.topics.deadLetter, 4)).toHaveLength(4);

    // Not fixed yet: both fail again (one redrive per source record) and get new letters.
    const again = await (await startRedrive(stack.config, { logger: silent })).done;
    expect(again).toMatchObject({ total: 2, read: 2, deadLettered: 2, delivered: 0, codes: { unknown_hub: 2 } });
    expect(again.deadLetters?.topic).toBe(stack.config.topics.deadLetter);
    expect(again.deadLetters?.partitions.length).toBeGreaterThan(0);
    expect(await readDeadLetters(stack.brokers, stack.config.topics.deadLetter, 6)).toHaveLength(6);

    // The hub is configured now: one redrive per source record, and they land.
    const fixed: TributaryConfig = {
      ...stack.config,
      partners: { ...stack.config.partners, komo: { ...stack.config.partners.komo, hubs: { ...SAMPLE_KOMO_HUB_CONFIG, 'hub-new': SAMPLE_KOMO_HUB_CONFIG[SAMPLE_KOMO_HUB] } } },
    };
    const before = stack.braze.state.requests({ path: '/users/track' }).length;
    const landed = await (await startRedrive(fixed, { code: 'unknown_hub', logger: silent })).done;
    expect(landed).toMatchObject({ complete: true, total: 2, delivered: 2, deadLettered: 0 });
    expect(stack.braze.state.requests({ path: '/users/track' }).length).toBeGreaterThan(before);
    for (const n of [1, 2]) {
      const p = stack.braze.state.findProfile({ user_alias: { alias_label: 'email', alias_name: `person${n}@example.com` } });
      expect(p?.standard_attributes.first_name).toBe(`Name${n}`);
    }
  }, 60_000);
});

describe('redrive of a letter written without its value', () => {
  it('leaves it out and counts it', async () => {
    stack = await startE2E({ partitions: 1 });
    const producer = new Kafka({ clientId: 'ops-test', brokers: [...stack.brokers], logLevel: logLevel.NOTHING }).producer();
    await producer.connect();
    const headers = {
      'tributary.source.topic': stack.config.topics.komoSubmissions,
      'tributary.source.partition': '0',
      'tributary.source.offset': '7',
      'tributary.error.code': 'braze_rejected',
      'tributary.error.detail': 'Braze answered 400',
      'tributary.failed.at': new Date(T0).toISOString(),
    };
    await producer.send({
      topic: stack.config.topics.deadLetter,
      messages: [
        { key: 'k', value: null, headers: { ...headers, 'tributary.value.dropped': 'MESSAGE_TOO_LARGE' } },
        { key: 'k', value: JSON.stringify(submission(8, SAMPLE_KOMO_HUB).value), headers: { ...headers, 'tributary.source.offset': '8' } },
      ],
    });
    await producer.disconnect();
    const redrive = await startRedrive(stack.config, { logger: silent });
    expect(redrive.withoutValue).toBe(1);
    expect(redrive.letters.map((l) => l.source.offset)).toEqual(['8']);
    expect(await redrive.done).toMatchObject({ complete: true, total: 1, delivered: 1, deadLettered: 0 });
  });
});

describe('interrupting a replay', () => {
  it('Ctrl-C stops taking records, finishes what is in flight and prints a summary of what was done', async () => {
    stack = await startE2E({ partitions: 1 });
    const topic = stack.config.topics.actioniqUserAttributes;
    const total = 300;
    await produce(stack, topic, Array.from({ length: total }, (_, i) => ({ key: `u${i}`, value: { external_id: `u${i}`, braze_id: null, attributes: { n: i }, updated_at: T0 + i } })));
    await settled(stack, total);
    await stack.braze.state.reset();
    stack.braze.state.configure({ latencyMs: 500 });
    const braze = stack.braze.state;
    const r = await tributary(stack, ['replay', '--topic', topic, '--from', 'earliest'], { pipeline: { maxInFlightOps: 10 } }, (child) => {
      const poll = setInterval(() => {
        if (braze.requests({ path: '/users/track' }).length > 0) {
          clearInterval(poll);
          child.kill('SIGINT');
        }
      }, 20);
      child.on('exit', () => clearInterval(poll));
    });
    expect(r.code).toBe(130);
    expect(r.stdout).toContain(`replay of ${topic}: interrupted`);
    const read = Number(/records read +(\d+) of 300/.exec(r.stdout)?.[1]);
    const delivered = Number(/delivered +(\d+)/.exec(r.stdout)?.[1]);
    expect(read).toBeGreaterThan(0);
    expect(read).toBeLessThan(total);
    // What was taken in was finished before the exit.
    expect(delivered).toBe(read);
    const sent = braze.requests({ path: '/users/track' }).flatMap((q) => (q.requestBody as { attributes: unknown[] }).attributes);
    expect(sent).toHaveLength(read);
  }, 60_000);
});

describe('masking', () => {
  it('masks emails, phones, names and ids, by field name at any depth and in free text', () => {
    expect(maskEmail('jane@example.com')).toBe('j***@example.com');
    expect(maskPhone('+15555550100')).toBe('+1******0100');
    expect(maskValue({ external_id: 'u-123', partner_user_id: 42, braze_id: 'b1', last_name: 'Doe', nested: { email: 'x@y.org' }, list: [{ phone: '+4412345678' }], other: 'mail jane@example.com', n: 3 })).toEqual({
      external_id: 'u***',
      partner_user_id: '4***',
      braze_id: 'b***',
      last_name: 'D***',
      nested: { email: 'x***@y.org' },
      list: [{ phone: '+4*****5678' }],
      other: 'mail j***@example.com',
      n: 3,
    });
  });
});
