import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { metricTotal, type DemoStack } from '../../../src/cli/demo-stack.js';
import type { SampleRecord } from '../../../src/app/sample-records.js';
import { startMovableInkSandbox, startQuiklyWebhookSandbox, type PartnerReceiver } from '@tributary/sandbox/partners';
import { fastOverrides, readTopic, removeExternalResources, settled, startE2E, waitFor } from '../../helpers/e2e.js';
import { startDemoStack } from '../../../src/cli/demo-stack.js';
import { startTributary } from '../../../src/app/tributary-app.js';
import { createLogger } from '../../../src/observability/logger.js';

const T0 = Date.parse('2026-05-01T10:00:00Z');
const md5 = (s: string) => createHash('md5').update(s).digest('hex');

let stack: DemoStack | null = null;
let receivers: PartnerReceiver[] = [];
afterEach(async () => {
  await stack?.close();
  stack = null;
  await Promise.all(receivers.map((r) => r.close()));
  receivers = [];
  await removeExternalResources();
});

const brazeEvent = (key: string, fields: Record<string, unknown>): SampleRecord => ({ topicKey: 'brazeEvents', key, value: { properties: {}, ...fields } });

const RECEIVER_TOKEN = 'receiver-token-e2e';

async function outboundStack(movableInk: Record<string, unknown> = {}, options: { receiver?: boolean; embeddedKafka?: boolean; deps?: object } = {}) {
  const mi = await startMovableInkSandbox({ username: 'mi-user', password: 'mi-pass' });
  const quikly = await startQuiklyWebhookSandbox({ token: 'quikly-token' });
  receivers.push(mi, quikly);
  // embeddedKafka: always the sandbox broker, even when the suite runs against an external Kafka (the test stops it).
  const start = options.embeddedKafka
    ? (o: { deps: object; overrides: object }) => startDemoStack({ braze: { seed: 7 }, kafka: { minSessionTimeoutMs: 100 }, partitions: 3, deps: o.deps, overrides: fastOverrides(o.overrides) })
    : startE2E;
  stack = await start({
    deps: { receiverProduceTimeoutMs: 2000, ...options.deps },
    overrides: {
      topics: { consume: ['brazeEvents'] },
      ...(options.receiver ? { observability: { host: '127.0.0.1', port: 0 } } : {}),
      outbound: {
        allowInsecure: true,
        ...(options.receiver ? { receiver: { enabled: true, token: RECEIVER_TOKEN } } : {}),
        routes: [
          { event: 'Product Viewed', to: 'movableInk' },
          { event: 'Account Created', to: 'movableInk', type: 'identify' },
          { event: 'App Login', to: 'quiklyWebhook', qScope: 'spring-2026', eventId: 'app_login' },
        ],
        movableInk: { url: mi.url, username: 'mi-user', password: 'mi-pass', ...movableInk },
        quiklyWebhook: { url: quikly.url, token: 'quikly-token' },
      },
    },
  });
  return { mi, quikly, stack };
}

describe('Braze events to partners, end to end', () => {
  it('delivers Movable Ink tracks and identifies and Quikly webhooks with the documented bodies and auth', async () => {
    const { mi, quikly, stack: s } = await outboundStack();
    await s.produce([
      brazeEvent('crm-1', { external_id: 'crm-1', email: ' Jo@Example.com ', name: 'Product Viewed', time: T0, time_zone: 'Europe/Paris', properties: { sku: 'A-1', price: 19.5, first_name: 'Jo', contact: 'jo@example.com' } }),
      brazeEvent('anon@example.com', { email: 'anon@example.com', name: 'Product Viewed', time: T0 + 1000 }),
      brazeEvent('crm-2', { external_id: 'crm-2', email: 'new@example.com', name: 'Account Created', time: T0 + 2000 }),
      brazeEvent('crm-3', { external_id: 'crm-3', email: 'q@example.com', name: 'App Login', time: T0 + 3000 }),
      brazeEvent('crm-4', { external_id: 'crm-4', name: 'Push Enabled', time: T0 }),
      brazeEvent('crm-5', { external_id: 'crm-5', name: 'App Login', time: T0 }),
    ], 0.5);
    await settled(s, 6);
    expect(await metricTotal(s.app, 'tributary_records_skipped_total', (l) => l.reason === 'no_route')).toBe(1);
    expect(await metricTotal(s.app, 'tributary_records_dead_lettered_total', (l) => l.code === 'no_email')).toBe(1);

    const auth = `Basic ${Buffer.from('mi-user:mi-pass').toString('base64')}`;
    expect(mi.requests.every((r) => r.headers.authorization === auth && r.headers['content-type'] === 'application/json')).toBe(true);
    const bodies = mi.requests.map((r) => r.body);
    expect(bodies).toHaveLength(4);
    // crm-1 is known with an email: Movable Ink first gets the identify that pairs them, then the track.
    const crm1 = bodies.filter((b) => (b as { user_id?: string }).user_id === 'crm-1');
    expect(crm1).toEqual([
      { type: 'identify', timestamp: T0, timezone: 'Europe/Paris', anonymous_id: md5('jo@example.com'), user_id: 'crm-1' },
      { type: 'track', event: 'product_viewed', properties: { sku: 'A-1', price: 19.5 }, timestamp: T0, timezone: 'Europe/Paris', user_id: 'crm-1' },
    ]);
    expect(bodies).toContainEqual({ type: 'track', event: 'product_viewed', properties: {}, timestamp: T0 + 1000, anonymous_id: md5('anon@example.com') });
    expect(bodies).toContainEqual({ type: 'identify', timestamp: T0 + 2000, anonymous_id: md5('new@example.com'), user_id: 'crm-2' });
    expect(JSON.stringify(bodies)).not.toMatch(/@example\.com/);

    expect(quikly.requests).toHaveLength(1);
    expect(quikly.requests[0]!.headers.authorization).toBe('Bearer quikly-token');
    expect(quikly.requests[0]!.body).toEqual({ q_scope: 'spring-2026', event: 'app_login', email: 'q@example.com' });
  });

  it('holds events while Movable Ink answers 503, loses and dead-letters none, and delivers each person\'s events in order once it is back', async () => {
    const { mi, stack: s } = await outboundStack();
    mi.down(503);
    const people = ['a', 'b', 'c', 'd'];
    const records = people.flatMap((p) => [1, 2, 3].map((n) => brazeEvent(`${p}@example.com`, { email: `${p}@example.com`, name: 'Product Viewed', time: T0 + n, properties: { n } })));
    await s.produce(records, 0.5);
    await waitFor(() => mi.attempts >= 12, 'retries while Movable Ink is down');
    expect(mi.requests).toHaveLength(0);
    expect(await metricTotal(s.app, 'tributary_records_delivered_total')).toBe(0);
    mi.down(null);
    await settled(s, records.length);
    expect(await metricTotal(s.app, 'tributary_records_dead_lettered_total')).toBe(0);
    expect(mi.requests).toHaveLength(records.length);
    for (const p of people) {
      const seen = mi.requests.filter((r) => (r.body as { anonymous_id: string }).anonymous_id === md5(`${p}@example.com`)).map((r) => (r.body as { properties: { n: number } }).properties.n);
      expect(seen).toEqual([1, 2, 3]);
    }
    expect(await metricTotal(s.app, 'tributary_braze_retries_total', (l) => l.endpoint === 'movable-ink')).toBeGreaterThan(0);
  });

  it('skips events without a user id in known-users-only mode', async () => {
    const { mi, stack: s } = await outboundStack({ knownUsersOnly: true });
    await s.produce([
      brazeEvent('anon@example.com', { email: 'anon@example.com', name: 'Product Viewed', time: T0 }),
      brazeEvent('crm-1', { external_id: 'crm-1', name: 'Product Viewed', time: T0 }),
    ], 0);
    await settled(s, 2);
    expect(await metricTotal(s.app, 'tributary_records_skipped_total', (l) => l.reason === 'movable_ink_unknown_user')).toBe(1);
    expect(mi.requests.map((r) => r.body)).toEqual([{ type: 'track', event: 'product_viewed', properties: {}, timestamp: T0, user_id: 'crm-1' }]);
  });

  it('receiver: 202 once the events are in Kafka, keyed by the user; they then reach Movable Ink; 401, 400 and 413 store nothing', async () => {
    const { mi, stack: s } = await outboundStack({}, { receiver: true });
    const url = s.app.receiverUrl!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ingest\/braze-events$/);
    const post = (body: unknown, token = RECEIVER_TOKEN) =>
      fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });

    expect((await post({ external_id: 'crm-1', name: 'Product Viewed', time: T0 }, 'wrong')).status).toBe(401);
    const bad = await post({ external_id: 'crm-1', name: 'Product Viewed', time: 'soon' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { reason: string }).reason).toContain('field time');
    expect((await post({ external_id: 'crm-1', name: 'Product Viewed', time: T0, properties: { blob: 'x'.repeat(1_100_000) } })).status).toBe(413);

    const ok = await post({ events: [
      { external_id: 'crm-7', email: 'seven@example.com', name: 'Product Viewed', time: T0, properties: { sku: 'B-2' }, campaign: 'spring' },
      { email: 'Eight@Example.com', name: 'Product Viewed', time: T0 + 1 },
    ] });
    expect(ok.status).toBe(202);
    // Acknowledged by Kafka before the answer: the records are there, keyed by the user's identifier, unknown fields kept.
    const records = await readTopic(s.brokers, s.config.topics.brazeEvents, 2);
    expect(records.map((r) => r.key).sort()).toEqual(['crm-7', 'eight@example.com']);
    expect(JSON.parse(records.find((r) => r.key === 'crm-7')!.value!.toString())).toMatchObject({ campaign: 'spring', properties: { sku: 'B-2' } });
    await settled(s, 2);
    expect(mi.requests.map((r) => r.body)).toEqual(expect.arrayContaining([
      { type: 'track', event: 'product_viewed', properties: { sku: 'B-2' }, timestamp: T0, user_id: 'crm-7' },
      { type: 'track', event: 'product_viewed', properties: {}, timestamp: T0 + 1, anonymous_id: md5('eight@example.com') },
    ]));
    expect(await metricTotal(s.app, 'tributary_receiver_events_total')).toBe(2);
    expect(await metricTotal(s.app, 'tributary_receiver_requests_total', (l) => l.status === '401')).toBe(1);
  });

  it('receiver: 503 with Retry-After when the broker is gone', async () => {
    const { stack: s } = await outboundStack({}, { receiver: true, embeddedKafka: true });
    await s.kafkaSandbox!.close();
    const res = await fetch(s.app.receiverUrl!, { method: 'POST', headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ external_id: 'crm-1', name: 'Product Viewed', time: T0 }) });
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
  });

  it('continuity: once a user id is sent for a person, their anonymous events carry it, across a restart too; the identify goes once', async () => {
    const { mi, stack: s } = await outboundStack();
    const email = 'switch@example.com';
    const anon = md5(email);
    const view = (n: number, extra: Record<string, unknown> = {}) => brazeEvent(email, { email, name: 'Product Viewed', time: T0 + n, properties: { n }, ...extra });
    await s.produce([view(1), view(2, { external_id: 'u-9' }), view(3)], 0.5);
    await settled(s, 3);
    expect(mi.requests.map((r) => r.body)).toEqual([
      { type: 'track', event: 'product_viewed', properties: { n: 1 }, timestamp: T0 + 1, anonymous_id: anon },
      { type: 'identify', timestamp: T0 + 2, anonymous_id: anon, user_id: 'u-9' },
      { type: 'track', event: 'product_viewed', properties: { n: 2 }, timestamp: T0 + 2, user_id: 'u-9' },
      { type: 'track', event: 'product_viewed', properties: { n: 3 }, timestamp: T0 + 3, user_id: 'u-9' },
    ]);
    const state = await readTopic(s.brokers, s.config.topics.movableInkState, 1);
    expect(state.map((r) => [r.key, JSON.parse(r.value!.toString()).user_id])).toEqual([[anon, 'u-9']]);

    // A restart: the memory comes back from the state topic, not from this process.
    await s.app.stop();
    mi.clear();
    const again = await startTributary(s.config);
    try {
      await s.produce([view(4), view(5, { external_id: 'u-9' })], 0.5);
      await waitFor(() => mi.requests.length >= 2, 'the events after the restart');
      await new Promise((r) => setTimeout(r, 300));
      expect(mi.requests.map((r) => r.body)).toEqual([
        { type: 'track', event: 'product_viewed', properties: { n: 4 }, timestamp: T0 + 4, user_id: 'u-9' },
        { type: 'track', event: 'product_viewed', properties: { n: 5 }, timestamp: T0 + 5, user_id: 'u-9' },
      ]);
    } finally {
      await again.stop();
    }
  });

  it('continuity moves with partitions: a second instance takes over and keeps sending the user id', async () => {
    const { mi, stack: s } = await outboundStack();
    const email = 'moves@example.com';
    const anon = md5(email);
    const view = (n: number, extra: Record<string, unknown> = {}) => brazeEvent(email, { email, name: 'Product Viewed', time: T0 + n, properties: { n }, ...extra });
    // A second member joins the group: the partitions are shared between the two.
    const second = await startTributary(s.config);
    try {
      await s.produce([view(1), view(2, { external_id: 'u-42' })], 0.5);
      await waitFor(() => mi.requests.length >= 3, 'the first events');
      // The first member leaves: the second owns every partition now, whichever one handled the pairing.
      await s.app.stop();
      await s.produce([view(3)], 0.5);
      await waitFor(() => mi.requests.length >= 4, 'the event after the first member left');
      expect(mi.requests.map((r) => r.body).at(-1)).toEqual({ type: 'track', event: 'product_viewed', properties: { n: 3 }, timestamp: T0 + 3, user_id: 'u-42' });
      expect(mi.requests.filter((r) => (r.body as { type: string }).type === 'identify')).toHaveLength(1);
      expect(mi.requests.map((r) => r.body)).toContainEqual({ type: 'track', event: 'product_viewed', properties: { n: 1 }, timestamp: T0 + 1, anonymous_id: anon });
    } finally {
      await second.stop();
    }
  });

  it('refused partner credentials pause delivery and /readyz without dead-lettering; no credential or body reaches the logs', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
    const { mi, stack: s } = await outboundStack({ password: 'wrong-secret-pass' }, { receiver: true, deps: { logger, configRetryMs: 200 } });
    const res = await fetch(s.app.receiverUrl!, {
      method: 'POST',
      headers: { authorization: `Bearer ${RECEIVER_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ external_id: 'crm-secret-1', email: 'secret-person@example.com', name: 'Product Viewed', time: T0, properties: { sku: 'SECRET-SKU' } }),
    });
    expect(res.status).toBe(202);
    await waitFor(async () => (await fetch(`${s.app.metricsUrl}/readyz`)).status === 503, '/readyz to answer 503');
    expect(s.app.state()).toBe('paused-config');
    // The probe: another request after the pause, answered 401 again (the answer is counted once the app read it).
    await waitFor(async () => (await metricTotal(s.app, 'tributary_braze_requests_total', (l) => l.endpoint === 'movable-ink' && l.status === '401')) >= 2, 'a probe after the pause');
    expect(mi.requests).toHaveLength(0);
    expect(await metricTotal(s.app, 'tributary_records_dead_lettered_total')).toBe(0);
    const logs = lines.join('');
    expect(logs).toContain('a partner rejected the credentials');
    for (const secret of ['wrong-secret-pass', 'mi-user', RECEIVER_TOKEN, 'quikly-token', 'secret-person', 'SECRET-SKU', 'crm-secret-1', Buffer.from('mi-user:wrong-secret-pass').toString('base64')]) {
      expect(logs).not.toContain(secret);
    }
  });
});
