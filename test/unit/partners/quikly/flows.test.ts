import { describe, expect, it } from 'vitest';
import type { Flow, FlowStep, MapResult, Op, OpAnswer } from '../../../../src/core/ops.js';
import { mapQuiklyActivation, mapQuiklyDelayedStep } from '../../../../src/partners/quikly/mappers.js';
import { QUIKLY_DEFAULTS, type QuiklyOptions } from '../../../../src/partners/quikly/options.js';

const G = '11111111-1111-4111-8111-111111111111';
const sms = (extra: Record<string, unknown> = {}) => ({ activation_id: 'a1', kind: 'sms_acquisition', occurred_at: 1714557600000, email: 'fan@example.com', phone: '+15555550100', subscription_group_id: G, ...extra });
const alias = { user_alias: { alias_name: 'fan@example.com', alias_label: 'email' } };

function flowOf(result: MapResult): Flow {
  if (result.type !== 'flow') throw new Error(`expected a flow, got ${JSON.stringify(result)}`);
  return result.flow;
}

type OpsStep = Extract<FlowStep, { type: 'ops' }>;
function ops(step: FlowStep): OpsStep {
  if (step.type !== 'ops') throw new Error(`expected ops, got ${JSON.stringify(step)}`);
  return step;
}
const next = (step: FlowStep, answers: readonly OpAnswer[] = []): OpsStep => ops(ops(step).then!(answers));
const kinds = (step: FlowStep) => ops(step).ops.map((op: Op) => (op.kind === 'kafka.produce' ? `${op.kind}:${op.topicKey}:${String(op.value.outcome ?? op.value.step)}` : op.kind));

const options = (o: Partial<QuiklyOptions> = {}): QuiklyOptions => ({ ...QUIKLY_DEFAULTS, ...o });

describe('the Quikly SMS acquisition flow', () => {
  it('credits an already subscribed phone and writes nothing else', () => {
    const f = flowOf(mapQuiklyActivation(sms(), options()));
    expect(kinds(f.start)).toEqual(['subscription.get']);
    const done = next(f.start, [{ state: 'subscribed' }]);
    expect(kinds(done)).toEqual(['kafka.produce:quiklyCredits:already_subscribed']);
    expect(done.then).toBeUndefined();
  });

  it('for a known user: sets the phone, subscribes at once, then credits', () => {
    const f = flowOf(mapQuiklyActivation(sms(), options()));
    const lookup = next(f.start, [{ state: 'unsubscribed' }]);
    expect(kinds(lookup)).toEqual(['identity.lookup']);
    const resolved = next(lookup, [{ found: true, user: { external_id: 'crm-1' }, profiles: 1 }]);
    expect(resolved.ops).toEqual([{ kind: 'track.attributes', user: { external_id: 'crm-1' }, attributes: { phone: '+15555550100' } }]);
    const subscribe = next(resolved);
    expect(subscribe.ops).toEqual([{ kind: 'subscription.set', groupId: G, state: 'subscribed', subscriber: { phone: '+15555550100' } }]);
    expect(kinds(next(subscribe))).toEqual(['kafka.produce:quiklyCredits:credited']);
  });

  it('for a new user (delayed-set): creates the alias-only profile with the phone, then hands the subscription to the delay topic', () => {
    const f = flowOf(mapQuiklyActivation(sms(), options({ subscriptionDelayMs: 5000 })));
    const create = next(next(f.start, [{ state: 'unknown' }]), [{ found: false }]);
    expect(create.ops[0]).toEqual({ kind: 'track.attributes', user: alias, attributes: { email: 'fan@example.com', phone: '+15555550100' }, updateExistingOnly: false });
    expect(create.establishes).toEqual({ email: 'fan@example.com', user: alias });
    const handOff = next(create);
    expect(handOff.ops).toEqual([{
      kind: 'kafka.produce', topicKey: 'quiklyDelayed', key: 'email:fan@example.com', stampField: 'handed_off_at',
      value: { step: 'subscribe', key: 'email:fan@example.com', delay_ms: 5000, activation_id: 'a1', phone: '+15555550100', subscription_group_id: G, double_opt_in: false },
    }]);
    expect(handOff.then).toBeUndefined();
  });

  it('for a new user (track-subscription-groups): creates and subscribes in one call and credits, with no wait', () => {
    const f = flowOf(mapQuiklyActivation(sms(), options({ subscriptionMode: 'track-subscription-groups' })));
    const create = next(next(f.start, [{ state: 'unknown' }]), [{ found: false }]);
    expect(create.ops[0]).toMatchObject({ attributes: { subscription_groups: [{ subscription_group_id: G, subscription_state: 'subscribed' }] }, updateExistingOnly: false });
    expect(kinds(next(create))).toEqual(['kafka.produce:quiklyCredits:credited']);
  });

  it('double opt-in by event: sends the event, then reports pending and hands the watching to the delay topic', () => {
    const f = flowOf(mapQuiklyActivation(sms({ double_opt_in: true, external_id: 'crm-1' }), options()));
    const resolved = next(f.start, [{ state: 'unsubscribed' }]);
    const start = next(resolved);
    expect(start.ops).toEqual([{ kind: 'track.event', user: { external_id: 'crm-1' }, name: 'quikly_sms_double_opt_in', time: '2024-05-01T10:00:00.000Z', properties: { activation_id: 'a1', subscription_group_id: G } }]);
    expect(kinds(next(start))).toEqual(['kafka.produce:quiklyCredits:pending_double_opt_in', 'kafka.produce:quiklyDelayed:watch']);
  });

  it('double opt-in by Braze\'s logic: subscribes with use_double_opt_in_logic', () => {
    const f = flowOf(mapQuiklyActivation(sms({ double_opt_in: true, external_id: 'crm-1' }), options({ doubleOptIn: { ...QUIKLY_DEFAULTS.doubleOptIn, mode: 'braze-logic' } })));
    const start = next(next(f.start, [{ state: 'unsubscribed' }]));
    expect(start.ops).toEqual([{ kind: 'subscription.set', groupId: G, state: 'subscribed', subscriber: { phone: '+15555550100' }, useDoubleOptIn: true }]);
  });

  it('ends in a failed decision when Braze refuses a step', () => {
    const f = flowOf(mapQuiklyActivation(sms(), options()));
    const subscribe = next(next(next(f.start, [{ state: 'unsubscribed' }]), [{ found: true, user: { external_id: 'c' }, profiles: 1 }]));
    expect(kinds(subscribe.otherwise!({ code: 'braze_rejected', detail: 'x' }))).toEqual(['kafka.produce:quiklyCredits:failed']);
  });
});

describe('the Quikly delayed steps', () => {
  const step = (extra: Record<string, unknown> = {}) => ({ step: 'watch', key: 'email:fan@example.com', delay_ms: 1000, handed_off_at: 10_000, activation_id: 'a1', phone: '+15555550100', subscription_group_id: G, double_opt_in: true, ...extra });
  const opts = options({ doubleOptIn: { ...QUIKLY_DEFAULTS.doubleOptIn, deadlineMs: 5000 } });

  it('a subscribe step waits until it is due, then subscribes and credits', () => {
    const f = flowOf(mapQuiklyDelayedStep(step({ step: 'subscribe', double_opt_in: false }), opts));
    expect(ops(f.start).ops).toEqual([{ kind: 'timer.wait', untilMs: 11_000 }]);
    const subscribe = next(f.start, [{ firedAtMs: 11_000 }]);
    expect(kinds(subscribe)).toEqual(['subscription.set']);
    expect(kinds(next(subscribe))).toEqual(['kafka.produce:quiklyCredits:credited']);
  });

  it('a watch credits a confirmed opt-in, looks again later while pending, and fails at the deadline', () => {
    const f = flowOf(mapQuiklyDelayedStep(step(), opts));
    const look = next(f.start, [{ firedAtMs: 11_000 }]);
    expect(kinds(look)).toEqual(['subscription.get']);
    expect(kinds(next(look, [{ state: 'subscribed' }]))).toEqual(['kafka.produce:quiklyCredits:credited']);
    const again = next(look, [{ state: 'unsubscribed' }]);
    expect(again.ops).toEqual([{
      kind: 'kafka.produce', topicKey: 'quiklyDelayed', key: 'email:fan@example.com', stampField: 'handed_off_at',
      value: { step: 'watch', key: 'email:fan@example.com', delay_ms: 2000, activation_id: 'a1', phone: '+15555550100', subscription_group_id: G, double_opt_in: true, watch_started_at: 10_000 },
    }]);
    const late = flowOf(mapQuiklyDelayedStep(step({ handed_off_at: 14_000, watch_started_at: 10_000, delay_ms: 4000 }), opts));
    expect(ops(late.start).ops).toEqual([{ kind: 'timer.wait', untilMs: 15_000 }]);
    expect(kinds(next(next(late.start, [{ firedAtMs: 15_000 }]), [{ state: 'unsubscribed' }]))).toEqual(['kafka.produce:quiklyCredits:failed']);
  });
});
