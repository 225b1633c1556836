import { describe, expect, it } from 'vitest';
import type { KomoOptions } from '../../../../src/partners/options.js';
import { mapKomoSubmission } from '../../../../src/partners/komo/mappers.js';

const options: KomoOptions = {
  hubs: {
    'hub-email': { userMatch: 'email_alias', fields: { name: 'first_name', contact_email: 'email', note: 'komo_note', score: 'komo_score' } },
    'hub-external': { userMatch: 'external_id', fields: { name: 'first_name' } },
    'hub-bad-map': { userMatch: 'external_id', fields: { name: '$first_name' } },
  },
};
const submission = { submission_id: 's', card_id: 'c', submitted_at: 1717234200000 };

describe('mapKomoSubmission', () => {
  it('creates the email alias profile when absent and writes the alias email', () => {
    const result = mapKomoSubmission({ ...submission, hub_id: 'hub-email', email: 'A@Example.com', fields: { name: 'Ann' } }, options);
    expect(result).toEqual({
      type: 'ops',
      ops: [{
        kind: 'track.attributes',
        user: { user_alias: { alias_name: 'a@example.com', alias_label: 'email' } },
        attributes: { email: 'a@example.com', first_name: 'Ann' },
        updateExistingOnly: false,
      }],
    });
  });

  it('keeps the alias email when a form field maps to email too', () => {
    const result = mapKomoSubmission({
      ...submission, hub_id: 'hub-email', email: 'a@example.com', fields: { contact_email: 'b@example.com' },
    }, options);
    expect(result.type === 'ops' && result.ops[0]).toMatchObject({ attributes: { email: 'a@example.com' } });
  });

  it('drops an over-long free-text answer but keeps the rest of the submission', () => {
    const result = mapKomoSubmission({
      ...submission, hub_id: 'hub-email', email: 'a@example.com', fields: { note: 'n'.repeat(300), score: 7 },
    }, options);
    expect(result.type === 'ops' && result.ops[0]).toMatchObject({ attributes: { email: 'a@example.com', komo_score: 7 } });
    expect(result.type === 'ops' && result.ops[0]).not.toHaveProperty('attributes.komo_note');
  });

  it('leaves updateExistingOnly to Braze for an external_id match', () => {
    const result = mapKomoSubmission({ ...submission, hub_id: 'hub-external', external_id: 'm-1', fields: { name: 'Ann' } }, options);
    expect(result).toEqual({
      type: 'ops',
      ops: [{ kind: 'track.attributes', user: { external_id: 'm-1' }, attributes: { first_name: 'Ann' } }],
    });
  });

  it('dead-letters a submission whose hub maps a field to a name Braze rejects', () => {
    expect(mapKomoSubmission({ ...submission, hub_id: 'hub-bad-map', external_id: 'm-1', fields: { name: 'Ann' } }, options))
      .toEqual({ type: 'invalid', code: 'invalid_name', detail: 'hub field map target for name starts with $' });
  });

  it('does not take hubs or fields from the prototype chain', () => {
    for (const hubId of ['__proto__', 'constructor', 'toString']) {
      expect(mapKomoSubmission({ ...submission, hub_id: hubId, external_id: 'm-1' }, options))
        .toMatchObject({ type: 'invalid', code: 'unknown_hub' });
    }
    expect(mapKomoSubmission({ ...submission, hub_id: 'hub-external', external_id: 'm-1', fields: {} }, options))
      .toEqual({ type: 'skip', reason: 'no_mapped_fields' });
  });

  it('checks the hub before the user, so an unconfigured hub is reported as such', () => {
    expect(mapKomoSubmission({ ...submission, hub_id: 'nope' }, options)).toMatchObject({ code: 'unknown_hub' });
  });
});
