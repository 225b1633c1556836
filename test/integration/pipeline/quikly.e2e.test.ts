import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import avro from 'avsc';
import type { DemoStack } from '../../../src/cli/demo-stack.js';
import type { SampleRecord } from '../../../src/app/sample-records.js';
import { readDeadLetters, readTopic, removeExternalResources, settled, startE2E } from '../../helpers/e2e.js';

const T0 = Date.parse('2026-05-01T10:00:00Z');
const SMS = '5a1f7c2e-3b4d-4e6f-8a9b-0c1d2e3f4a5b';
const CREDIT = avro.Type.forSchema(JSON.parse(readFileSync(new URL('../../../schemas/quikly.credits.avsc', import.meta.url), 'utf8')) as avro.Schema, { wrapUnions: 'auto' });

let stack: DemoStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
  await removeExternalResources();
});

interface Credit {
  activation_id: string;
  phone: string;
  outcome: string;
  reason: string | null;
  decided_at: number;
}

function decodeCredit(value: Buffer): Credit {
  expect(value[0]).toBe(0);
  const decoded = CREDIT.fromBuffer(value.subarray(5)) as { reason: null | { string: string } } & Omit<Credit, 'reason'>;
  const reason = decoded.reason === null ? null : typeof decoded.reason === 'string' ? decoded.reason : decoded.reason.string;
  return { ...decoded, reason, decided_at: Number(decoded.decided_at) } as Credit;
}

async function credits(s: DemoStack, count: number): Promise<Credit[]> {
  const entries = await readTopic(s.brokers, s.config.topics.quiklyCredits, count);
  return entries.map((e) => decodeCredit(e.value!));
}

const activation = (id: string, fields: Record<string, unknown>): SampleRecord => ({
  topicKey: 'quiklyActivations',
  key: String(fields.email ?? fields.phone ?? id),
  value: { activation_id: id, occurred_at: T0, attributes: {}, ...fields },
});

async function track(s: DemoStack, body: object): Promise<void> {
  const res = await fetch(`${s.braze.url}/users/track`, { method: 'POST', headers: { authorization: `Bearer ${s.braze.apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status).toBe(201);
}

async function subscribeDirectly(s: DemoStack, phone: string): Promise<void> {
  const res = await fetch(`${s.braze.url}/v2/subscription/status/set`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.braze.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ subscription_groups: [{ subscription_group_id: SMS, subscription_state: 'subscribed', phones: [phone] }] }),
  });
  expect(res.status).toBe(201);
}

const stateOf = (s: DemoStack, phone: string) =>
  fetch(`${s.braze.url}/subscription/status/get?subscription_group_id=${SMS}&phone=${encodeURIComponent(phone)}`, { headers: { authorization: `Bearer ${s.braze.apiKey}` } })
    .then((r) => r.json() as Promise<{ status: Record<string, string> }>)
    .then((b) => b.status[phone]);

function quiklyStack(quikly: Record<string, unknown> = {}) {
  return startE2E({
    braze: { subscriptionGroups: { [SMS]: 'sms' }, doubleOptInEvents: { quikly_sms_double_opt_in: SMS } },
    overrides: { partners: { quikly: { subscriptionDelayMs: 1500, participationAttribute: 'quikly_participant', participationEvent: 'quikly_participated', ...quikly } } },
  });
}

describe('Quikly end to end', () => {
  it('email acquisition: marks a known profile and creates nothing; creates an alias-only profile for an unknown email', async () => {
    stack = await quiklyStack();
    await track(stack, { attributes: [{ external_id: 'crm-1', email: 'known@example.com' }] });
    await stack.produce([
      activation('e1', { kind: 'email_acquisition', email: 'known@example.com', attributes: { quikly_level: 2 } }),
      activation('e2', { kind: 'email_acquisition', email: 'new@example.com' }),
    ], 0.5);
    await settled(stack, 2);
    const braze = stack.braze.state;
    expect(braze.profileCount()).toBe(2);
    const known = braze.findProfile({ external_id: 'crm-1' })!;
    expect(known.custom_attributes).toEqual({ quikly_level: 2, quikly_participant: true });
    expect(known.events).toEqual([]);
    const created = braze.findProfile({ user_alias: { alias_label: 'email', alias_name: 'new@example.com' } })!;
    expect(created.external_id).toBeNull();
    expect(created.email).toBe('new@example.com');
    expect(created.custom_attributes).toEqual({ quikly_participant: true });
    expect(created.events.map((e) => e.name)).toEqual(['quikly_participated']);
  });

  it('SMS acquisition: already subscribed, an existing user (no wait) and a new user (subscribed after the wait), each with one decision', async () => {
    stack = await quiklyStack();
    await track(stack, { attributes: [{ external_id: 'crm-2', email: 'existing@example.com' }, { external_id: 'crm-3', phone: '+15555550103' }] });
    await subscribeDirectly(stack, '+15555550103');
    const setUp = stack.braze.state.requests({}).length;
    await stack.produce([
      activation('s1', { kind: 'sms_acquisition', email: 'already@example.com', phone: '+15555550103', subscription_group_id: SMS }),
      activation('s2', { kind: 'sms_acquisition', email: 'existing@example.com', phone: '+1 555 555 0102', subscription_group_id: SMS }),
      activation('s3', { kind: 'sms_acquisition', email: 'newcomer@example.com', phone: '+15555550101', subscription_group_id: SMS }),
    ], 0.5);
    const decided = await credits(stack, 3);
    expect(decided.map((c) => [c.activation_id, c.outcome]).sort()).toEqual([['s1', 'already_subscribed'], ['s2', 'credited'], ['s3', 'credited']]);
    expect(decided.find((c) => c.activation_id === 's2')!.phone).toBe('+15555550102');
    expect(await stateOf(stack, '+15555550101')).toBe('Subscribed');
    expect(await stateOf(stack, '+15555550102')).toBe('Subscribed');
    const braze = stack.braze.state;
    // Nothing was written for the phone that was already subscribed.
    expect(braze.findProfiles({ email: 'already@example.com' })).toEqual([]);
    expect(braze.findProfile({ external_id: 'crm-2' })!.phone).toBe('+15555550102');
    const created = braze.findProfile({ user_alias: { alias_label: 'email', alias_name: 'newcomer@example.com' } })!;
    expect(created.phone).toBe('+15555550101');
    // The new profile was subscribed only after the wait: its creation and the subscription are 1.5 s apart or more.
    const log = braze.requests({}).slice(setUp);
    const createdAt = log.find((r) => r.path === '/users/track' && JSON.stringify(r.requestBody).includes('newcomer@example.com'))!;
    const subscribedAt = log.find((r) => r.path === '/v2/subscription/status/set' && JSON.stringify(r.requestBody).includes('+15555550101'))!;
    expect(Date.parse(subscribedAt.timestamp) - Date.parse(createdAt.timestamp)).toBeGreaterThanOrEqual(1500);
    expect(log.some((r) => r.path === '/v2/subscription/status/set' && JSON.stringify(r.requestBody).includes('+15555550103'))).toBe(false);
  });

  it('double opt-in: pending, then credited once confirmed; one that passes its deadline fails', async () => {
    stack = await quiklyStack({ doubleOptIn: { deadlineMs: 4000 } });
    await stack.produce([
      activation('d1', { kind: 'sms_acquisition', email: 'yes@example.com', phone: '+15555550201', subscription_group_id: SMS, double_opt_in: true }),
      activation('d2', { kind: 'sms_acquisition', email: 'never@example.com', phone: '+15555550202', subscription_group_id: SMS, double_opt_in: true }),
    ], 0);
    const pending = await credits(stack, 2);
    expect(pending.map((c) => [c.activation_id, c.outcome]).sort()).toEqual([['d1', 'pending_double_opt_in'], ['d2', 'pending_double_opt_in']]);
    expect(await stateOf(stack, '+15555550201')).toBe('Unsubscribed');
    expect(stack.braze.state.confirmDoubleOptIn({ phone: '+15555550201' }, SMS)).toBe(true);
    const all = await credits(stack, 4);
    expect(all.map((c) => [c.activation_id, c.outcome, c.reason]).sort()).toEqual([
      ['d1', 'credited', null], ['d1', 'pending_double_opt_in', null], ['d2', 'failed', 'opt_in_deadline'], ['d2', 'pending_double_opt_in', null],
    ]);
  }, 60_000);

  it('bad input: each kind is dead-lettered with its code, and an SMS acquisition also gets a failed decision', async () => {
    stack = await quiklyStack();
    const bad = [
      activation('b1', { kind: 'sms_acquisition', email: 'a@example.com', subscription_group_id: SMS }),
      activation('b2', { kind: 'sms_acquisition', email: 'a@example.com', phone: 'call me', subscription_group_id: SMS }),
      activation('b3', { kind: 'sms_acquisition', email: 'a@example.com', phone: '+15555550301' }),
      activation('b4', { kind: 'sms_acquisition', phone: '+15555550302', subscription_group_id: SMS }),
      activation('b5', { kind: 'sms_acquisition', email: 'not-an-email', phone: '+15555550303', subscription_group_id: SMS }),
      activation('b6', { kind: 'email_acquisition' }),
      activation('b7', { kind: 'raffle', email: 'a@example.com' }),
      // A group Braze does not know as an SMS group: Braze's 4xx fails this record's flow only.
      activation('b8', { kind: 'sms_acquisition', email: 'a@example.com', phone: '+15555550304', subscription_group_id: '00000000-0000-4000-8000-000000000000' }),
    ];
    await stack.produce(bad, 0);
    await settled(stack, bad.length);
    const letters = await readDeadLetters(stack.brokers, stack.config.topics.deadLetter, bad.length);
    const codes = Object.fromEntries(letters.map((l) => [JSON.parse(l.value!.toString()).activation_id, l.headers['tributary.error.code']]));
    expect(codes).toEqual({
      b1: 'missing_phone', b2: 'invalid_phone', b3: 'missing_subscription_group_id', b4: 'missing_email',
      b5: 'invalid_email', b6: 'missing_email', b7: 'unknown_enum_value', b8: 'braze_rejected',
    });
    const decided = await credits(stack, 6);
    expect(decided.map((c) => [c.activation_id, c.outcome, c.reason]).sort()).toEqual([
      ['b1', 'failed', 'missing_phone'], ['b2', 'failed', 'invalid_phone'], ['b3', 'failed', 'missing_subscription_group_id'],
      ['b4', 'failed', 'missing_email'], ['b5', 'failed', 'invalid_email'], ['b8', 'failed', 'braze_rejected'],
    ]);
  });

  it('a burst of 1,000 activations for 200 emails stays within one look-up per email', async () => {
    stack = await startE2E({
      braze: { subscriptionGroups: { [SMS]: 'sms' }, requestLogSize: 10_000, rateLimits: { 'users.export.ids': { limit: 100_000, windowMs: 60_000 } } },
      overrides: { braze: { rateLimits: { 'users.export.ids': { limit: 100_000, windowMs: 60_000 } } }, partners: { quikly: { subscriptionMode: 'track-subscription-groups' } } },
      partitions: 4,
    });
    const records = Array.from({ length: 1000 }, (_, n) =>
      activation(`burst-${n}`, n % 2 === 0
        ? { kind: 'email_acquisition', email: `fan${n % 200}@example.com` }
        : { kind: 'sms_acquisition', email: `fan${n % 200}@example.com`, phone: `+1555556${String(n % 200).padStart(4, '0')}`, subscription_group_id: SMS }),
    );
    await stack.produce(records, 0.5);
    await settled(stack, records.length, 90_000);
    const log = stack.braze.state.requests({});
    const exports = log.filter((r) => r.path === '/users/export/ids' && r.status === 201);
    expect(exports.length).toBeLessThanOrEqual(200);
    const statusGets = log.filter((r) => r.path === '/subscription/status/get');
    expect(statusGets.length).toBeGreaterThan(0);
    expect(stack.braze.state.profileCount()).toBe(200);
    const decided = await credits(stack, 500);
    expect(new Set(decided.map((c) => c.activation_id)).size).toBe(500);
    process.stdout.write(`quikly burst: ${exports.length} /users/export/ids and ${statusGets.length} /subscription/status/get calls for 1000 activations (200 emails)\n`);
  }, 120_000);
});

