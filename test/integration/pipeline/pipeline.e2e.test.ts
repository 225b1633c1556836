import { afterEach, describe, expect, it } from 'vitest';
import { startTributary } from '../../../src/app/tributary-app.js';
import { metricTotal, type DemoStack } from '../../../src/cli/demo-stack.js';
import { SAMPLE_KOMO_HUB, type SampleRecord } from '../../../src/app/sample-records.js';
import { loadConfig } from '../../../src/config/index.js';
import { eventNumbers, fastOverrides, readDeadLetters, removeExternalResources, settled, startE2E, waitFor } from '../../helpers/e2e.js';

const T0 = Date.parse('2026-05-01T10:00:00Z');

let stack: DemoStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
  await removeExternalResources();
});

const numberedEvent = (n: number, users: number): SampleRecord => ({
  topicKey: 'actioniqEvents',
  key: `user-${n % users}`,
  value: { name: 'numbered', external_id: `user-${n % users}`, braze_id: null, timestamp: T0 + n, properties: { n } },
});

describe('the pipeline end to end (embedded sandbox, or real Kafka when TRIBUTARY_TEST_KAFKA_BROKERS is set)', () => {
  it('lands every partner\'s records with exactly the expected profile state', async () => {
    stack = await startE2E();
    const records: SampleRecord[] = [
      { topicKey: 'actioniqAudienceMembership', key: 'aiq-1', value: { audience_id: '1041', split_id: 'A', member: true, external_id: 'aiq-1', braze_id: null, updated_at: T0 } },
      { topicKey: 'actioniqUserAttributes', key: 'aiq-1', value: { external_id: 'aiq-1', braze_id: null, attributes: { loyalty_tier: 'gold', lifetime_value: 12.5 }, updated_at: T0 } },
      { topicKey: 'actioniqEvents', key: 'aiq-1', value: { name: 'product_viewed', external_id: 'aiq-1', braze_id: null, timestamp: T0, properties: { sku: 'SKU-1', price: 9.5 } } },
      {
        topicKey: 'extoleEvents',
        key: 'ext-1',
        value: { event_id: 'e1', kind: 'program_event', name: 'extole_shared', occurred_at: T0, partner_user_id: 'ext-1', email: 'ada@example.com', first_name: 'Ada', last_name: 'Lovelace', program: 'spring', funnel: 'advocate', share_channel: 'email', share_link: 'https://refer.example.com/ext-1', properties: {} },
      },
      { topicKey: 'extoleEvents', key: 'ext-1', value: { event_id: 'e2', kind: 'reward', name: 'FULFILLED', occurred_at: T0 + 1, partner_user_id: 'ext-1', email: 'ada@example.com', face_value: 10, face_value_type: 'USD', coupon_code: 'SAVE10', properties: {} } },
      { topicKey: 'extoleEvents', key: 'ext-1', value: { event_id: 'e3', kind: 'reward', name: 'EARNED', occurred_at: T0 + 2, partner_user_id: 'ext-1', email: 'ada@example.com', face_value: 5, face_value_type: 'USD', properties: {} } },
      { topicKey: 'extoleEvents', key: 'ext-2', value: { event_id: 'e4', kind: 'subscription', name: 'unsubscribed', occurred_at: T0 + 3, partner_user_id: 'ext-2', email: 'grace@example.com', list_type: 'marketing', properties: {} } },
      {
        topicKey: 'komoSubmissions',
        key: 'barbara@example.com',
        value: { submission_id: 's1', hub_id: SAMPLE_KOMO_HUB, card_id: 'c1', submitted_at: T0, email: 'Barbara@Example.com', fields: { first_name: 'Barbara', favourite_flavour: 'mango', marketing_notes: 'not mapped' } },
      },
      { topicKey: 'komoSubmissions', key: 'x@example.com', value: { submission_id: 's2', hub_id: 'no-such-hub', card_id: 'c1', submitted_at: T0, email: 'x@example.com', fields: {} } },
    ];
    // Avro for the first half, JSON for the rest: both paths decode to the same result.
    await stack.produce(records.slice(0, 5), 1);
    await stack.produce(records.slice(5), 0);
    await settled(stack, records.length);
    const braze = stack.braze.state;

    const aiq = braze.findProfile({ external_id: 'aiq-1' })!;
    expect(aiq.custom_attributes).toEqual({ AIQ_1041_A: true, loyalty_tier: 'gold', lifetime_value: 12.5 });
    expect(aiq.events.map((e) => [e.name, e.properties])).toEqual([['product_viewed', { sku: 'SKU-1', price: 9.5 }]]);

    const ada = braze.findProfile({ external_id: 'ext-1' })!;
    expect(ada.email).toBe('ada@example.com');
    expect(ada.standard_attributes).toMatchObject({ first_name: 'Ada', last_name: 'Lovelace' });
    expect(ada.custom_attributes.share_link).toBe('https://refer.example.com/ext-1');
    expect(ada.events.map((e) => e.name)).toEqual(['extole_shared', 'extole_reward_fulfilled']);
    expect(ada.events[0]!.properties).toMatchObject({ partner: 'Extole', funnel: 'advocate', program: 'spring', share_channel: 'email' });
    expect(ada.events[1]!.properties).toMatchObject({ face_value: 10, face_value_type: 'USD', coupon_code: 'SAVE10' });

    const grace = braze.findProfile({ external_id: 'ext-2' })!;
    expect(grace.standard_attributes.email_subscribe).toBe('unsubscribed');
    expect(grace.events.map((e) => e.name)).toEqual(['extole_unsubscribed']);

    const barbara = braze.findProfile({ user_alias: { alias_label: 'email', alias_name: 'barbara@example.com' } })!;
    expect(barbara.external_id).toBeNull();
    expect(barbara.standard_attributes.first_name).toBe('Barbara');
    expect(barbara.custom_attributes).toEqual({ komo_favourite_flavour: 'mango' });

    expect(await metricTotal(stack.app, 'tributary_records_skipped_total')).toBe(1);
    const letters = await readDeadLetters(stack.brokers, stack.config.topics.deadLetter, 1);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.headers).toMatchObject({
      'tributary.source.topic': stack.config.topics.komoSubmissions,
      'tributary.error.code': 'unknown_hub',
    });
    expect(letters[0]!.headers['tributary.error.detail']).not.toContain('x@example.com');
    expect(JSON.parse(letters[0]!.value!.toString()).submission_id).toBe('s2');
  });

  it('ends an ActionIQ split flipped many times across many batches at the last value', async () => {
    stack = await startE2E({ braze: { latencyMs: 3 } });
    let last = false;
    for (let round = 0; round < 20; round++) {
      const batch: SampleRecord[] = [];
      for (let i = 0; i < 15; i++) {
        last = this_flip(round * 15 + i);
        batch.push({ topicKey: 'actioniqAudienceMembership', key: 'flipper', value: { audience_id: '9', split_id: 'B', member: last, external_id: 'flipper', braze_id: null, updated_at: T0 + round * 15 + i } });
        batch.push({ topicKey: 'actioniqAudienceMembership', key: `other-${i}`, value: { audience_id: '9', split_id: 'B', member: true, external_id: `other-${i}`, braze_id: null, updated_at: T0 } });
      }
      await stack.produce(batch);
    }
    await settled(stack, 600);
    expect(stack.braze.state.findProfile({ external_id: 'flipper' })!.custom_attributes.AIQ_9_B).toBe(last);
  });

  it('dead-letters exactly the records Braze rejects through a mix of 201-with-errors, 400, 429 and 503, losing nothing', async () => {
    stack = await startE2E();
    const braze = stack.braze.state;
    braze.faults.script([
      { fault: 'item-errors', path: '/users/track', errors: [{ input_array: 'events', index: 0, type: 'BAD_EVENT' }] },
      { fault: 'status', path: '/users/track', status: 400, body: { message: 'Invalid request' } },
      { fault: 'rate-limit', path: '/users/track', retryAfterS: 1 },
      { fault: 'status', path: '/users/track', status: 503, times: 2 },
    ]);
    const records = Array.from({ length: 200 }, (_, n) => numberedEvent(n, 40));
    await stack.produce(records, 0); // JSON, so the dead letter's original value can be read back here
    await settled(stack, 200);
    type Body = { events?: Array<{ properties: { n: number } }> };
    const log = braze.requests({ path: '/users/track' });
    const rejected = log.find((r) => r.fault?.kind === 'item-errors')!;
    const rejectedN = (rejected.requestBody as Body).events![0]!.properties.n;
    // A 400 for a request of several ops is split until it is isolated; a 400 for a request that held one
    // op only is Braze refusing that op, which is dead-lettered too.
    const refused = log.find((r) => r.status === 400)!;
    const refusedAlone = (refused.requestBody as Body).events?.length === 1 ? [(refused.requestBody as Body).events![0]!.properties.n] : [];
    const expected = [rejectedN, ...refusedAlone];

    const letters = await readDeadLetters(stack.brokers, stack.config.topics.deadLetter, expected.length);
    expect(letters.map((l) => JSON.parse(l.value!.toString()).properties.n).sort()).toEqual([...expected].sort());
    const first = letters.find((l) => JSON.parse(l.value!.toString()).properties.n === rejectedN)!;
    expect(first.headers['tributary.error.code']).toBe('braze_item_error');
    expect(first.headers['tributary.braze.error.type']).toBe('BAD_EVENT');

    const delivered = eventNumbers(braze.profiles(), 'numbered');
    expect(delivered.has(rejectedN)).toBe(false);
    expect(delivered.size).toBe(200 - expected.length);
    const statuses = braze.counters().byEndpoint['POST /users/track']!;
    expect(statuses['400']).toBeGreaterThanOrEqual(1);
    expect(statuses['429']).toBeGreaterThanOrEqual(1);
    expect(statuses['503']).toBeGreaterThanOrEqual(2);
  });

  it('loses nothing when a second instance joins and leaves the group mid-stream', async () => {
    stack = await startE2E({ partitions: 4 });
    const second = await startTributary(await loadConfig({ env: {}, overrides: { ...fastOverrides(), topics: stack.config.topics, kafka: { ...stack.config.kafka }, schemaRegistry: stack.config.schemaRegistry, braze: stack.config.braze } }));
    let stoppedSecond: Promise<void> | null = null;
    try {
      for (let round = 0; round < 30; round++) {
        await stack.produce(Array.from({ length: 20 }, (_, i) => numberedEvent(round * 20 + i, 60)));
        if (round === 15) stoppedSecond = second.stop();
        await new Promise((r) => setTimeout(r, 30));
      }
      await stoppedSecond;
      await waitFor(() => eventNumbers(stack!.braze.state.profiles(), 'numbered').size === 600, 'all 600 numbered events in Braze', 45_000);
      expect(await metricTotal(second, 'tributary_records_delivered_total')).toBeGreaterThan(0);
    } finally {
      await second.stop();
    }
  }, 90_000);
});

function this_flip(i: number): boolean {
  // A fixed but irregular sequence, so "ends at the last value" cannot pass by parity alone.
  return ((i * 7919) % 13) % 2 === 0;
}

describe('a Braze configuration error', () => {
  it('pauses consumption and readiness without dead-lettering anything', async () => {
    stack = await startE2E({ overrides: { braze: { apiKey: 'not-the-sandbox-key' }, observability: { port: 0, host: '127.0.0.1' } } });
    await stack.produce(Array.from({ length: 20 }, (_, n) => numberedEvent(n, 5)));
    await waitFor(() => stack!.app.state() === 'paused-config', 'the app to pause on 401');
    expect(await metricTotal(stack.app, 'tributary_braze_config_error')).toBe(1);
    const ready = await fetch(`${stack.app.metricsUrl}/readyz`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ ok: false, detail: { state: 'paused-config', braze: { status: 401 } } });
    expect(await metricTotal(stack.app, 'tributary_records_dead_lettered_total')).toBe(0);
    expect(await metricTotal(stack.app, 'tributary_records_delivered_total')).toBe(0);
    // Only the requests already in flight when the first 401 came back were sent; nothing more follows.
    const sent = stack.braze.state.counters().byEndpoint['POST /users/track']!;
    expect(Object.keys(sent)).toEqual(['401']);
    await new Promise((r) => setTimeout(r, 300));
    expect(stack.braze.state.counters().byEndpoint['POST /users/track']).toEqual(sent);
  });
});
