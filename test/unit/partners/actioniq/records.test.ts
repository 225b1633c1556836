import { describe, expect, it } from 'vitest';
import { readActionIqEvent, readAudienceMembership, readUserAttributes } from '../../../../src/partners/actioniq/records.js';

describe('ActionIQ records', () => {
  it('read an audience membership with its identifier and ISO time', () => {
    expect(readAudienceMembership({
      audience_id: '1', split_id: 'a', member: true, braze_id: 'b-1', updated_at: 0,
    })).toEqual({ audienceId: '1', splitId: 'a', member: true, user: { braze_id: 'b-1' }, updatedAtMs: 0 });
  });

  it('read user attributes with an empty map when none are given', () => {
    expect(readUserAttributes({ external_id: 'u', updated_at: 0 })).toEqual({
      user: { external_id: 'u' }, attributes: {}, updatedAtMs: 0,
    });
  });

  it('read an event with its properties', () => {
    expect(readActionIqEvent({ name: 'e', external_id: 'u', timestamp: 0, properties: { a: 1 } })).toEqual({
      name: 'e', user: { external_id: 'u' }, timestamp: '1970-01-01T00:00:00.000Z', properties: { a: 1 },
    });
  });
});
