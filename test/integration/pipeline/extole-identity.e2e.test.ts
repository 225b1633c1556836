import { afterEach, describe, expect, it } from 'vitest';
import { metricTotal, type DemoStack } from '../../../src/cli/demo-stack.js';
import type { SampleRecord } from '../../../src/app/sample-records.js';
import { removeExternalResources, settled, startE2E } from '../../helpers/e2e.js';

const T0 = Date.parse('2026-05-01T10:00:00Z');

let stack: DemoStack | null = null;
afterEach(async () => {
  await stack?.close();
  stack = null;
  await removeExternalResources();
});

/** An Extole program event for a participant known only by email (no partner_user_id). */
const shared = (n: number, email: string): SampleRecord => ({
  topicKey: 'extoleEvents',
  key: email,
  value: { event_id: `e${n}`, kind: 'program_event', name: 'extole_shared', occurred_at: T0 + n, email, first_name: 'Pat', program: 'spring', funnel: 'advocate', properties: { n } },
});

/** A profile Braze already has, created straight through the sandbox's API as another integration would. */
async function existingProfile(s: DemoStack, externalId: string, email: string): Promise<void> {
  const res = await fetch(`${s.braze.url}/users/track`, {
    method: 'POST',
    headers: { authorization: `Bearer ${s.braze.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ attributes: [{ external_id: externalId, email }] }),
  });
  expect(res.status).toBe(201);
}

const exportCalls = (s: DemoStack) => s.braze.state.requests({ path: '/users/export/ids' });

describe('Extole participants without an external id (look-up by email)', () => {
  it('updates the profile Braze knows for the email, and creates an alias-only profile for an unknown one', async () => {
    stack = await startE2E();
    await existingProfile(stack, 'crm-7', 'known@example.com');
    await stack.produce([shared(1, 'known@example.com'), shared(2, 'new@example.com')], 0.5);
    await settled(stack, 2);
    const braze = stack.braze.state;

    const known = braze.findProfiles({ email: 'known@example.com' });
    expect(known).toHaveLength(1);
    expect(known[0]!.external_id).toBe('crm-7');
    expect(known[0]!.events.map((e) => e.name)).toEqual(['extole_shared']);
    expect(known[0]!.standard_attributes.first_name).toBe('Pat');

    const created = braze.findProfile({ user_alias: { alias_label: 'email', alias_name: 'new@example.com' } })!;
    expect(created.external_id).toBeNull();
    expect(created.email).toBe('new@example.com');
    expect(created.events.map((e) => [e.name, e.properties.n])).toEqual([['extole_shared', 2]]);
    expect(braze.profileCount()).toBe(2);
    expect(exportCalls(stack).map((r) => (r.requestBody as { email_address: string }).email_address).sort()).toEqual(['known@example.com', 'new@example.com']);
  });

  it('makes at most one /users/export/ids call per distinct email in a burst, and a 429 on it delays but loses nothing', async () => {
    stack = await startE2E({
      overrides: { braze: { rateLimits: { 'users.export.ids': { limit: 100_000, windowMs: 60_000 } } } },
      // The sandbox announces Braze's 250/min for export/ids in its headers, and tributary paces itself by them.
      braze: { requestLogSize: 5000, rateLimits: { 'users.export.ids': { limit: 100_000, windowMs: 60_000 } } },
      partitions: 4,
    });
    const emails = Array.from({ length: 200 }, (_, i) => `fan${i}@example.com`);
    for (const email of emails.slice(0, 50)) await existingProfile(stack, `crm-${email}`, email);
    stack.braze.state.faults.script([{ path: '/users/export/ids', times: 3, fault: 'rate-limit', retryAfterS: 1 }]);
    const records = Array.from({ length: 1000 }, (_, n) => shared(n, emails[n % emails.length]!));
    await stack.produce(records, 0.5);
    await settled(stack, records.length, 60_000);

    const calls = exportCalls(stack);
    const answered = calls.filter((r) => r.status === 201);
    expect(calls.filter((r) => r.status === 429)).toHaveLength(3);
    // One answered look-up per distinct email: every later record of an email is answered from the cache.
    expect(answered.length).toBe(200);
    expect(new Set(answered.map((r) => (r.requestBody as { email_address: string }).email_address)).size).toBe(answered.length);
    expect(await metricTotal(stack.app, 'tributary_records_delivered_total')).toBe(1000);
    expect(await metricTotal(stack.app, 'tributary_records_dead_lettered_total')).toBe(0);

    // Every record's event landed once, on the one profile of its email; no duplicate profiles appeared.
    const braze = stack.braze.state;
    expect(braze.profileCount()).toBe(200);
    for (const [i, email] of emails.entries()) {
      const profiles = braze.findProfiles({ email });
      expect(profiles, email).toHaveLength(1);
      expect(profiles[0]!.external_id).toBe(i < 50 ? `crm-${email}` : null);
      expect(profiles[0]!.events.filter((e) => e.name === 'extole_shared').map((e) => e.properties.n)).toEqual(
        records.map((r, n) => [r, n] as const).filter(([r]) => (r.value as { email: string }).email === email).map(([, n]) => n),
      );
    }
  });
});
