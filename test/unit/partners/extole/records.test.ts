import { describe, expect, it } from 'vitest';
import { readExtoleEvent } from '../../../../src/partners/extole/records.js';

describe('readExtoleEvent', () => {
  it('normalises the email and narrows fields by kind', () => {
    expect(readExtoleEvent({
      event_id: 'e', kind: 'reward', name: 'FULFILLED', occurred_at: 0, email: ' Jane@Example.com',
      face_value: 5, share_link: 'ignored for rewards',
    })).toEqual({
      eventId: 'e', kind: 'reward', state: 'FULFILLED', occurredAt: '1970-01-01T00:00:00.000Z',
      person: { partnerUserId: undefined, email: 'jane@example.com', firstName: undefined, lastName: undefined },
      faceValue: 5, faceValueType: undefined, couponCode: undefined,
    });
  });

  it('rejects an over-long profile value before it reaches Braze', () => {
    expect(() => readExtoleEvent({
      event_id: 'e', kind: 'program_event', name: 'x', occurred_at: 0, first_name: 'n'.repeat(256),
    })).toThrow(expect.objectContaining({ code: 'braze_limit' }) as Error);
  });
});
