import { describe, expect, it } from 'vitest';
import { parseIsoDuration, parseRangeEnd, parseRangeStart, recordingTransport, redriveOrder, withoutEvents, type Letter } from '../../../src/app/replay.js';
import type { FlowStep, MapResult, Op, OpAnswer } from '../../../src/core/ops.js';

const user = { external_id: 'u1' };
const attrs: Op = { kind: 'track.attributes', user, attributes: { a: 1 } };
const event: Op = { kind: 'track.event', user, name: 'e', time: '2026-05-01T10:00:00Z' };
const purchase: Op = { kind: 'track.purchase', user, productId: 'p', currency: 'USD', price: 1, time: '2026-05-01T10:00:00Z' };
const lookup: Op = { kind: 'identity.lookup', email: 'a@example.com' };

describe('replay ranges', () => {
  it('reads ISO durations and the range forms', () => {
    expect(parseIsoDuration('PT2H')).toBe(7_200_000);
    expect(parseIsoDuration('P1DT30M')).toBe(86_400_000 + 1_800_000);
    expect(parseIsoDuration('PT1.5S')).toBe(1500);
    expect(() => parseIsoDuration('2h')).toThrow(/ISO-8601 duration/);
    expect(() => parseIsoDuration('PT')).toThrow();
    expect(parseRangeStart('earliest')).toEqual({ kind: 'earliest' });
    expect(parseRangeStart('offset:42')).toEqual({ kind: 'offset', offset: 42n });
    expect(parseRangeStart('time:2026-05-01T10:00:00Z')).toEqual({ kind: 'time', ms: Date.parse('2026-05-01T10:00:00Z') });
    expect(parseRangeStart('duration:PT2H')).toEqual({ kind: 'ago', ms: 7_200_000 });
    expect(parseRangeEnd('latest')).toEqual({ kind: 'latest' });
    expect(() => parseRangeStart('yesterday')).toThrow(/--from takes/);
    expect(() => parseRangeEnd('offset:-1')).toThrow(/not an offset/);
    expect(() => parseRangeEnd('time:soon')).toThrow(/ISO-8601 time/);
  });
});

describe('withoutEvents', () => {
  it('drops events and purchases from plain ops; a record of events only is skipped', () => {
    let skipped = 0;
    const h = (result: MapResult) => withoutEvents({ partner: 'p', map: () => result }, (n) => (skipped += n));
    expect(h({ type: 'ops', ops: [attrs, event, purchase] }).map(null)).toEqual({ type: 'ops', ops: [attrs] });
    expect(h({ type: 'ops', ops: [event] }).map(null)).toEqual({ type: 'skip', reason: 'replay_events_skipped' });
    expect(h({ type: 'ops', ops: [attrs] }).map(null)).toEqual({ type: 'ops', ops: [attrs] });
    expect(skipped).toBe(3);
  });

  it('drops them from every flow step and hands each step the answers in their original places', () => {
    let skipped = 0;
    const seen: Array<readonly OpAnswer[]> = [];
    const found = { found: true as const, user, profiles: 1 };
    const start: FlowStep = {
      type: 'ops',
      ops: [lookup, event],
      then: (answers) => {
        seen.push(answers);
        return { type: 'ops', ops: [attrs, purchase], otherwise: () => ({ type: 'ops', ops: [event] }) };
      },
    };
    const handler = withoutEvents({ partner: 'p', map: () => ({ type: 'flow', flow: { name: 'f', key: 'email:a@example.com', start } }) }, (n) => (skipped += n));
    const result = handler.map(null);
    if (result.type !== 'flow' || result.flow.start.type !== 'ops') throw new Error('a flow was expected');
    expect(result.flow.start.ops).toEqual([lookup]);
    const next = result.flow.start.then!([found]);
    expect(seen).toEqual([[found, undefined]]);
    if (next.type !== 'ops') throw new Error('an ops step was expected');
    expect(next.ops).toEqual([attrs]);
    const last = next.otherwise!({ code: 'x', detail: 'y' });
    expect(last).toMatchObject({ type: 'ops', ops: [] });
    expect(skipped).toBe(3);
  });
});

describe('the dry-run transport', () => {
  it('records each request as one line, answers success, and look-ups find nobody', async () => {
    const lines: string[] = [];
    const t = recordingTransport((l) => lines.push(l));
    const body = {
      attributes: [{ external_id: 'u1', a: 1, b: 2, _update_existing_only: false }],
      events: [{ external_id: 'u1', name: 'e', time: 't' }],
      purchases: [{ external_id: 'u1', product_id: 'p', currency: 'USD', price: 1, time: 't', properties: { x: 1, y: 2 } }],
    };
    expect((await t.post('/users/track', body)).status).toBe(201);
    expect((await t.post('/users/export/ids', { email_address: 'a@example.com' })).body).toMatchObject({ users: [] });
    expect((await t.get('/subscription/status/get', { subscription_group_id: 'g', phone: ['+15555550100'] })).body).toMatchObject({ status: {} });
    expect(lines.map((l) => JSON.parse(l))).toEqual([
      { endpoint: '/users/track', method: 'POST', body },
      { endpoint: '/users/export/ids', method: 'POST', body: { email_address: 'a@example.com' } },
      { endpoint: '/subscription/status/get', method: 'GET', body: { subscription_group_id: 'g', phone: ['+15555550100'] } },
    ]);
    // 2 attribute values + 1 event + (1 + 2 properties) for the purchase.
    expect(t.counts).toEqual({ requests: 3, objects: 3, dataPoints: 6 });
  });
});

describe('redriveOrder', () => {
  const letter = (topic: string, partition: number, offset: string, code: string, at: number): Letter => ({
    at: { partition: 0, offset: String(at) },
    source: { topic, partition, offset },
    code,
    detail: '',
    failedAtMs: at,
    brazeErrorType: null,
    valueDropped: null,
    key: null,
    value: null,
    headers: {},
    timestampMs: 0,
  });

  it('keeps one letter per source record (the latest) in source order', () => {
    const order = redriveOrder([
      letter('b', 0, '1', 'x', 1),
      letter('a', 1, '10', 'x', 2),
      letter('a', 1, '9', 'x', 3),
      letter('a', 0, '100', 'x', 4),
      letter('a', 1, '10', 'again', 5),
    ]);
    expect(order.map((l) => `${l.source.topic}/${l.source.partition}@${l.source.offset}:${l.code}`)).toEqual(['a/0@100:x', 'a/1@9:x', 'a/1@10:again', 'b/0@1:x']);
  });
});
