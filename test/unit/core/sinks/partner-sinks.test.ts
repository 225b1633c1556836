import { describe, expect, it } from 'vitest';
import { movableInkBody, movableInkSink } from '../../../../src/core/sinks/movable-ink.js';
import { quiklyWebhookSink } from '../../../../src/core/sinks/quikly-webhook.js';
import type { BrazeHttpResponse } from '../../../../src/core/ports.js';
import type { MovableInkOp, QuiklyWebhookOp } from '../../../../src/core/ops.js';
import type { SinkPolicy } from '../../../../src/core/sink.js';

const MI_URL = 'https://collector.example.com/behavioral/KEY';
const mi = movableInkSink({ url: MI_URL, username: 'mi-user', password: 's3cret-pass' });
const quikly = quiklyWebhookSink({ url: 'https://api.quikly.example/webhook/braze', token: 'q-token-123' });

const track: MovableInkOp = {
  kind: 'movable-ink.track',
  person: 'anon:abc',
  userId: 'crm-1',
  anonymousId: 'abc',
  body: { type: 'track', event: 'product_viewed', properties: { sku: 'A-1' }, timestamp: 1777629600000, timezone: 'Europe/Paris' },
};
const webhook: QuiklyWebhookOp = { kind: 'quikly.webhook', person: 'anon:abc', qScope: 'spring', eventId: 'app_login', email: 'q@example.com' };

const answer = (status: number, body: unknown = {}): BrazeHttpResponse => ({ status, headers: () => undefined, body });

function built<O extends MovableInkOp | QuiklyWebhookOp>(policy: SinkPolicy<O>, op: O) {
  const batch = policy.newBatch<string>(1000);
  expect(batch.offer(op, 'ref-1')).toBe('accept');
  return batch.build();
}

describe('the Movable Ink sink', () => {
  it('sends one event per request, at once, to the configured URL with Basic auth and a JSON body', () => {
    const batch = mi.newBatch<string>(1000);
    expect(batch.flushReason(1000)).toBeNull();
    expect(batch.offer(track, 'a')).toBe('accept');
    expect(batch.offer({ ...track, person: 'anon:other' }, 'b')).toBe('full');
    expect(batch.flushReason(1000)).toBe('count');
    expect(batch.lingerUntilMs).toBe(1000);
    const req = batch.build();
    expect(req.refs).toEqual(['a']);
    expect(req.request).toEqual({
      method: 'HTTP',
      url: MI_URL,
      headers: { authorization: `Basic ${Buffer.from('mi-user:s3cret-pass').toString('base64')}`, 'content-type': 'application/json', accept: 'application/json' },
      body: { type: 'track', event: 'product_viewed', properties: { sku: 'A-1' }, timestamp: 1777629600000, timezone: 'Europe/Paris', user_id: 'crm-1' },
    });
  });

  it('puts user_id on a track when known, else anonymous_id, and both on an identify', () => {
    expect(movableInkBody(track)).toMatchObject({ user_id: 'crm-1' });
    expect(movableInkBody(track)).not.toHaveProperty('anonymous_id');
    const anonymous = movableInkBody({ ...track, userId: undefined } as MovableInkOp);
    expect(anonymous).toMatchObject({ anonymous_id: 'abc' });
    expect(anonymous).not.toHaveProperty('user_id');
    expect(movableInkBody({ kind: 'movable-ink.identify', person: 'anon:abc', userId: 'crm-1', anonymousId: 'abc', body: { type: 'identify', timestamp: 5 } }))
      .toEqual({ type: 'identify', timestamp: 5, anonymous_id: 'abc', user_id: 'crm-1' });
  });

  it.each([200, 201, 202, 204])('reads %i as delivered', (status) => {
    const verdict = built(mi, track).read(answer(status));
    expect(verdict.kind).toBe('answered');
    if (verdict.kind === 'answered') expect(verdict.resultOf('ref-1')).toEqual({ kind: 'delivered' });
  });

  it.each([[429, 'rate-limited'], [500, 'server-error'], [502, 'server-error'], [503, 'server-error'], [408, 'server-error']] as const)('retries %i', (status, reason) => {
    expect(built(mi, track).read(answer(status))).toEqual({ kind: 'retry', reason, status });
  });

  it.each([401, 403, 301])('pauses on %i without dead-lettering, and names no credential', (status) => {
    const verdict = built(mi, track).read(answer(status, { message: 'bad s3cret-pass' }));
    expect(verdict.kind).toBe('config');
    expect(JSON.stringify(verdict)).not.toContain('s3cret-pass');
  });

  it.each([400, 404, 413, 422])('dead-letters the event on %i with movable_ink_rejected, quoting nothing of the answer', (status) => {
    const verdict = built(mi, track).read(answer(status, { error: 'user jo@example.com is bad' }));
    expect(verdict.kind).toBe('answered');
    if (verdict.kind !== 'answered') return;
    const result = verdict.resultOf('ref-1');
    expect(result).toMatchObject({ kind: 'rejected', code: 'movable_ink_rejected' });
    expect(JSON.stringify(result)).not.toContain('jo@example.com');
  });
});

describe('the Quikly webhook sink', () => {
  it('posts {q_scope, event, email} with the Bearer token, one per request', () => {
    const req = built(quikly, webhook);
    expect(req.request).toEqual({
      method: 'HTTP',
      url: 'https://api.quikly.example/webhook/braze',
      headers: { authorization: 'Bearer q-token-123', 'content-type': 'application/json', accept: 'application/json' },
      body: { q_scope: 'spring', event: 'app_login', email: 'q@example.com' },
    });
    const batch = quikly.newBatch<string>(0);
    batch.offer(webhook, 'a');
    expect(batch.offer(webhook, 'b')).toBe('full');
  });

  it('reads answers like Movable Ink: delivered, retried, paused or rejected', () => {
    const read = (status: number) => built(quikly, webhook).read(answer(status));
    expect(read(200).kind).toBe('answered');
    expect(read(429)).toEqual({ kind: 'retry', reason: 'rate-limited', status: 429 });
    expect(read(504)).toEqual({ kind: 'retry', reason: 'server-error', status: 504 });
    expect(read(401).kind).toBe('config');
    expect(read(403).kind).toBe('config');
    const rejected = read(400);
    expect(rejected.kind === 'answered' && rejected.resultOf('ref-1')).toMatchObject({ kind: 'rejected', code: 'quikly_webhook_rejected' });
  });
});
