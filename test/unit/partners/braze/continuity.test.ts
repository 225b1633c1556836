import { describe, expect, it } from 'vitest';
import { anonymousIdOf, mapBrazeEvent, OUTBOUND_MAP_DEFAULTS, snakeCase, looksLikePhone, safeProperties, type OutboundMapOptions } from '../../../../src/partners/braze-events/index.js';
import { MovableInkContinuity } from '../../../../src/core/movable-ink-continuity.js';
import { movableInkSink } from '../../../../src/core/sinks/movable-ink.js';
import type { FlowStep, MovableInkOp, OpAnswer } from '../../../../src/core/ops.js';

const OPTIONS: OutboundMapOptions = {
  ...OUTBOUND_MAP_DEFAULTS,
  routes: [
    { event: 'Product Viewed', to: 'movableInk' },
    { event: 'App Login', to: 'quiklyWebhook', qScope: 's', eventId: 'e' },
    { event: 'App Login', to: 'movableInk' },
  ],
};
const ANON = anonymousIdOf('jo@example.com');

function flowOf(value: unknown) {
  const result = mapBrazeEvent(value, OPTIONS);
  if (result.type !== 'flow') throw new Error(`expected a flow, got ${result.type}`);
  return result.flow;
}

const opsOf = (step: FlowStep) => (step.type === 'ops' ? step.ops : []);
const next = (step: FlowStep, answers: OpAnswer[]): FlowStep => {
  if (step.type !== 'ops' || !step.then) return { type: 'done' };
  return step.then(answers);
};

describe('the braze.events mapper and user id continuity', () => {
  it('names events in snake_case and drops contact-like values', () => {
    expect(snakeCase('Product Viewed')).toBe('product_viewed');
    expect(snakeCase('addToCart')).toBe('add_to_cart');
    expect(snakeCase('Sign-Up: Step 2')).toBe('sign_up_step_2');
    expect(snakeCase('  HTMLPage Open ')).toBe('html_page_open');
    expect(looksLikePhone('+1 (415) 555-0100')).toBe(true);
    expect(looksLikePhone('2026-05-01')).toBe(false);
    expect(looksLikePhone('12345')).toBe(false);
    expect(safeProperties({ Email: 'x', note: 'a@b.co', tel: '+44 20 7946 0958', sku: 'A', n: 5551234567 }, ['email'], false)).toEqual({ sku: 'A', n: 5551234567 });
    expect(safeProperties({ note: 'a@b.co' }, [], true)).toEqual({ note: 'a@b.co' });
  });

  it('an event pairing an email with a user id first makes sure of the identify, records the new pairing, then sends its calls', () => {
    const f = flowOf({ external_id: 'crm-1', email: 'Jo@Example.com', name: 'App Login', time: 1000, time_zone: 'UTC' });
    expect(f.key).toBe(`person:anon:${ANON}`);
    expect(opsOf(f.start)).toEqual([{ kind: 'movable-ink.identify', person: `anon:${ANON}`, userId: 'crm-1', anonymousId: ANON, body: { type: 'identify', timestamp: 1000, timezone: 'UTC' }, onlyIfNew: true }]);
    // A new pairing was sent: it is recorded in the state topic before the event goes out.
    const recorded = next(f.start, [{ sent: true }]);
    expect(opsOf(recorded)).toEqual([{ kind: 'kafka.produce', topicKey: 'movableInkState', key: ANON, value: { anonymous_id: ANON, user_id: 'crm-1' }, stampField: 'updated_at' }]);
    const calls = next(recorded, [undefined]);
    expect(opsOf(calls).map((op) => op.kind)).toEqual(['quikly.webhook', 'movable-ink.track']);
    // The pairing was known already: no record, straight to the calls.
    expect(opsOf(next(f.start, [{ sent: false }])).map((op) => op.kind)).toEqual(['quikly.webhook', 'movable-ink.track']);
  });

  it('events without a pairing are plain ops', () => {
    expect(mapBrazeEvent({ email: 'jo@example.com', name: 'Product Viewed', time: 1 }, OPTIONS).type).toBe('ops');
    expect(mapBrazeEvent({ external_id: 'crm-1', name: 'Product Viewed', time: 1 }, OPTIONS).type).toBe('ops');
  });
});

describe('the Movable Ink sink with continuity', () => {
  const sink = (continuity: MovableInkContinuity) => movableInkSink({ url: 'https://mi.example/behavioral/K', username: 'u', password: 'p' }, continuity);
  const anonymousTrack: MovableInkOp = { kind: 'movable-ink.track', person: `anon:${ANON}`, anonymousId: ANON, body: { type: 'track', event: 'e', properties: {}, timestamp: 1 } };
  const identify: MovableInkOp = { kind: 'movable-ink.identify', person: `anon:${ANON}`, anonymousId: ANON, userId: 'crm-1', body: { type: 'identify', timestamp: 1 }, onlyIfNew: true };
  const bodyOf = (policy: ReturnType<typeof sink>, op: MovableInkOp) => {
    const batch = policy.newBatch<string>(0);
    batch.offer(op, 'r');
    return (batch.build().request as { body: Record<string, unknown> }).body;
  };

  it('sends an anonymous event with the user id already sent for that person', () => {
    const continuity = new MovableInkContinuity();
    const policy = sink(continuity);
    expect(bodyOf(policy, anonymousTrack)).toMatchObject({ anonymous_id: ANON });
    continuity.remember(ANON, 'crm-1');
    expect(bodyOf(policy, anonymousTrack)).toEqual({ type: 'track', event: 'e', properties: {}, timestamp: 1, user_id: 'crm-1' });
  });

  it('sends an identify only for a new pairing, answers it as sent, and remembers it once delivered', () => {
    const continuity = new MovableInkContinuity();
    const policy = sink(continuity);
    expect(policy.answerLocally!(identify, 0)).toBeNull();
    const batch = policy.newBatch<string>(0);
    batch.offer(identify, 'r');
    const verdict = batch.build().read({ status: 200, headers: () => undefined, body: {} });
    const result = verdict.kind === 'answered' ? verdict.resultOf('r') : null;
    expect(result).toEqual({ kind: 'delivered', answer: { sent: true } });
    policy.onDelivered!(identify, { sent: true }, 0);
    expect(continuity.userIdOf(ANON)).toBe('crm-1');
    expect(policy.answerLocally!(identify, 0)).toEqual({ sent: false });
    // Another user id for the same person is a new pairing.
    expect(policy.answerLocally!({ ...identify, userId: 'crm-2' }, 0)).toBeNull();
  });

  it('restores state records, and forgets on a tombstone', () => {
    const continuity = new MovableInkContinuity();
    continuity.restore(ANON, { anonymous_id: ANON, user_id: 'crm-1' });
    expect(continuity.userIdOf(ANON)).toBe('crm-1');
    continuity.restore(ANON, null);
    expect(continuity.userIdOf(ANON)).toBeUndefined();
  });
});
