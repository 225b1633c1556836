import { afterEach, describe, expect, it } from 'vitest';
import { brazeEventsReceiver, startReceiverServer, type ReceiverServer } from '../../../src/adapters/receiver/braze-events-receiver.js';
import { readReceivedBody, type ReceivedEvent } from '../../../src/partners/braze-events/receiver-body.js';

const TOKEN = 'braze-events-token-123';
const EVENT = { external_id: 'crm-1', email: 'jo@example.com', name: 'Product Viewed', time: 1777629600000, properties: { sku: 'A-1' }, extra_field: { kept: true } };

let server: ReceiverServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

interface Deferred {
  events: readonly ReceivedEvent[];
  resolve(): void;
  reject(err: Error): void;
}

async function start(options: { maxBodyBytes?: number; produceTimeoutMs?: number; produce?: (events: readonly ReceivedEvent[]) => Promise<void> } = {}) {
  const produced: Deferred[] = [];
  const answers: Array<[number, number]> = [];
  const errors: string[] = [];
  const produce = options.produce ?? ((events: readonly ReceivedEvent[]) => new Promise<void>((resolve, reject) => void produced.push({ events, resolve, reject })));
  server = await startReceiverServer('127.0.0.1', 0, brazeEventsReceiver({
    token: TOKEN,
    read: readReceivedBody,
    maxBodyBytes: options.maxBodyBytes ?? 1024 * 1024,
    produce,
    ...(options.produceTimeoutMs === undefined ? {} : { produceTimeoutMs: options.produceTimeoutMs }),
    retryAfterS: 7,
    onAnswer: (status, n) => void answers.push([status, n]),
    onProduceError: (m) => void errors.push(m),
  }));
  const post = (body: string | object, headers: Record<string, string> = { authorization: `Bearer ${TOKEN}` }) =>
    fetch(server!.url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { produced, answers, errors, post };
}

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(cond()).toBe(true);
}

describe('POST /ingest/braze-events', () => {
  it('answers 202 only after Kafka acknowledged the events, keyed by the user\'s identifier, unknown fields kept', async () => {
    const { produced, answers, post } = await start();
    let status = 0;
    const res = post({ events: [EVENT, { email: ' Anon@Example.com ', name: 'App Login', time: '2026-05-01T10:00:00Z' }, { braze_id: 'b-1', name: 'X', time: 1 }] }).then(async (r) => {
      status = r.status;
      return r;
    });
    await until(() => produced.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    expect(status).toBe(0);
    expect(produced[0]!.events.map((e) => e.key)).toEqual(['crm-1', 'anon@example.com', 'b-1']);
    expect(produced[0]!.events[0]!.value).toEqual(EVENT);
    produced[0]!.resolve();
    const r = await res;
    expect(r.status).toBe(202);
    expect(await r.json()).toEqual({ accepted: 3 });
    expect(answers).toEqual([[202, 3]]);
  });

  it('takes a single event object as well', async () => {
    const { produced, post } = await start();
    const res = post(EVENT);
    await until(() => produced.length === 1);
    expect(produced[0]!.events).toHaveLength(1);
    produced[0]!.resolve();
    expect((await res).status).toBe(202);
  });

  it.each([
    ['no header', {}],
    ['a wrong token', { authorization: 'Bearer nope' }],
    ['a longer token', { authorization: `Bearer ${TOKEN}x` }],
    ['another scheme', { authorization: `Basic ${TOKEN}` }],
  ])('answers 401 to %s, and stores nothing', async (_name, headers) => {
    const { produced, post } = await start();
    const r = await post(EVENT, headers as Record<string, string>);
    expect(r.status).toBe(401);
    expect(produced).toHaveLength(0);
  });

  it.each([
    ['not JSON', '{"name":', 'the body is not valid JSON'],
    ['a list', [EVENT], 'must be a JSON object'],
    ['an event without a name', { ...EVENT, name: undefined }, 'field name is missing'],
    ['a time that is not a time', { ...EVENT, time: 'yesterday' }, 'field time must be'],
    ['properties that are not scalars', { ...EVENT, properties: { a: { b: 1 } } }, 'field properties.a must be'],
    ['an email that is not a string', { ...EVENT, email: 5 }, 'field email must be a string'],
    ['an event without an identifier', { name: 'X', time: 1 }, 'needs external_id, braze_id or email'],
    ['a bad event in a batch', { events: [EVENT, { ...EVENT, time: false }] }, 'events[1]: field time'],
    ['events that are not a list', { events: 'x' }, 'events must be a list'],
    ['no events', { events: [] }, 'events is empty'],
  ])('answers 400 with a reason to %s, and stores nothing', async (_name, body, reason) => {
    const { produced, post } = await start();
    const r = await post(body as object);
    expect(r.status).toBe(400);
    const answer = (await r.json()) as { reason: string };
    expect(answer.reason).toContain(reason);
    expect(answer.reason).not.toContain('jo@example.com');
    expect(produced).toHaveLength(0);
  });

  it('answers 413 over the size cap, and stores nothing', async () => {
    const { produced, post } = await start({ maxBodyBytes: 200 });
    const r = await post({ ...EVENT, properties: { text: 'x'.repeat(500) } });
    expect(r.status).toBe(413);
    expect(produced).toHaveLength(0);
  });

  it('answers 503 with Retry-After when Kafka refuses or does not answer in time', async () => {
    const refused = await start({ produce: () => Promise.reject(new Error('KafkaJSConnectionError: Connection error')) });
    const r = await refused.post(EVENT);
    expect(r.status).toBe(503);
    expect(r.headers.get('retry-after')).toBe('7');
    expect(refused.errors[0]).toContain('Connection error');
    expect(refused.errors[0]).not.toContain('jo@example.com');
    await server!.close();
    const slow = await start({ produceTimeoutMs: 100, produce: () => new Promise(() => undefined) });
    const s = await slow.post(EVENT);
    expect(s.status).toBe(503);
    expect(slow.answers).toEqual([[503, 0]]);
  });

  it('refuses other methods', async () => {
    await start();
    const r = await fetch(server!.url, { method: 'GET' });
    expect(r.status).toBe(405);
  });
});
