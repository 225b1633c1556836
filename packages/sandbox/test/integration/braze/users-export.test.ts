import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startClient, type TestClient } from './helpers.js';

describe('/users/export/ids (braze-api.md §5)', () => {
  let c: TestClient;
  let nowMs = Date.parse('2024-06-01T00:00:00Z');
  beforeAll(async () => {
    c = await startClient({ now: () => nowMs });
  });
  afterAll(() => c.sandbox.close());
  beforeEach(async () => {
    nowMs = Date.parse('2024-06-01T00:00:00Z');
    await c.sandbox.state.reset();
    await c.track({
      attributes: [
        { external_id: 'u1', first_name: 'Ada', email: 'ada@example.com', phone: '+15555550100', tier: 'gold', country: 'GB' },
        { user_alias: { alias_name: 'q@example.com', alias_label: 'email' }, _update_existing_only: false, email: 'q@example.com' },
      ],
      events: [{ external_id: 'u1', name: 'shared', time: '2024-05-01T10:00:00Z', properties: { channel: 'email' } }],
      purchases: [{ external_id: 'u1', product_id: 'sku', currency: 'USD', price: 2, quantity: 2, time: '2024-05-02T10:00:00Z' }],
    });
  });

  const exportIds = (body: Record<string, unknown>) => c.post('/users/export/ids', { fields_to_export: ['external_id', 'first_name'], ...body });

  it('returns only the requested fields of the matched users', async () => {
    const reply = await exportIds({ external_ids: ['u1'] });
    expect(reply.status).toBe(201);
    expect(reply.body).toEqual({ message: 'success', users: [{ external_id: 'u1', first_name: 'Ada' }] });
  });

  it('lists identifiers that matched no user in invalid_user_ids', async () => {
    const reply = await exportIds({ external_ids: ['u1', 'nobody'] });
    expect(reply.body.users).toHaveLength(1);
    expect(reply.body.invalid_user_ids).toEqual(['nobody']);
  });

  it('answers success with an empty users list when nothing matches', async () => {
    const reply = await exportIds({ email_address: 'none@example.com' });
    expect(reply.body).toEqual({ message: 'success', users: [] });
  });

  it('finds users by alias, braze_id, email_address and phone', async () => {
    const brazeId = c.sandbox.state.findProfile({ external_id: 'u1' })!.braze_id;
    const fields = ['braze_id', 'user_aliases', 'email'];
    const byAlias = await exportIds({ user_aliases: [{ alias_name: 'q@example.com', alias_label: 'email' }], fields_to_export: fields });
    expect(byAlias.body.users[0]).toMatchObject({ user_aliases: [{ alias_name: 'q@example.com', alias_label: 'email' }], email: 'q@example.com' });
    expect((await exportIds({ braze_id: brazeId })).body.users).toEqual([{ external_id: 'u1', first_name: 'Ada' }]);
    expect((await exportIds({ email_address: 'ada@example.com' })).body.users).toEqual([{ external_id: 'u1', first_name: 'Ada' }]);
    expect((await exportIds({ phone: '+15555550100' })).body.users).toEqual([{ external_id: 'u1', first_name: 'Ada' }]);
  });

  it('exports custom attributes and event and purchase summaries, never event properties', async () => {
    const reply = await exportIds({ external_ids: ['u1'], fields_to_export: ['custom_attributes', 'custom_events', 'purchases', 'total_revenue', 'country'] });
    expect(reply.body.users[0]).toEqual({
      country: 'GB',
      custom_attributes: { tier: 'gold' },
      custom_events: [{ name: 'shared', first: '2024-05-01T10:00:00.000Z', last: '2024-05-01T10:00:00.000Z', count: 1 }],
      purchases: [{ name: 'sku', first: '2024-05-02T10:00:00.000Z', last: '2024-05-02T10:00:00.000Z', count: 2 }],
      total_revenue: 4,
    });
  });

  it('summarises only the last 90 days of events and purchases', async () => {
    nowMs = Date.parse('2024-09-15T00:00:00Z');
    const reply = await exportIds({ external_ids: ['u1'], fields_to_export: ['custom_events', 'purchases', 'external_id'] });
    expect(reply.body.users).toEqual([{ external_id: 'u1' }]);
  });

  it('leaves absent fields out instead of sending nulls', async () => {
    const reply = await exportIds({ user_aliases: [{ alias_name: 'q@example.com', alias_label: 'email' }], fields_to_export: ['external_id', 'first_name', 'phone'] });
    expect(reply.body.users).toEqual([{}]);
  });

  it('requires fields_to_export and rejects unknown field names', async () => {
    expect((await c.post('/users/export/ids', { external_ids: ['u1'] })).status).toBe(400);
    expect((await exportIds({ external_ids: ['u1'], fields_to_export: ['favourite_colour'] })).status).toBe(400);
  });

  it('accepts 50 external_ids and aliases and answers 400 above that', async () => {
    const ids = Array.from({ length: 50 }, (_, i) => `id${i}`);
    expect((await exportIds({ external_ids: ids })).status).toBe(201);
    const reply = await exportIds({ external_ids: ids, user_aliases: [{ alias_name: 'x', alias_label: 'y' }] });
    expect(reply.status).toBe(400);
    expect(reply.body.message).toBe('The max number of external_ids and aliases per request was exceeded');
  });

  it('takes one email_address, phone and braze_id per request', async () => {
    expect((await exportIds({ email_address: ['a@example.com', 'b@example.com'] })).status).toBe(400);
  });

  it('answers 400 when no identifier is given', async () => {
    expect((await exportIds({})).status).toBe(400);
  });
});
