import { describe, expect, it } from 'vitest';
import { readKomoSubmission } from '../../../../src/partners/komo/records.js';

describe('readKomoSubmission', () => {
  it('keeps email and phone as captured, to be checked only when used', () => {
    expect(readKomoSubmission({
      submission_id: 's', hub_id: 'h', card_id: 'c', submitted_at: '2024-06-01', email: 'not an email', phone: 'n/a',
    })).toEqual({
      submissionId: 's', hubId: 'h', cardId: 'c', submittedAt: '2024-06-01T00:00:00.000Z',
      brazeId: undefined, externalId: undefined, email: 'not an email', phone: 'n/a', fields: {},
    });
  });

  it('requires the card id', () => {
    expect(() => readKomoSubmission({ submission_id: 's', hub_id: 'h', submitted_at: 0 }))
      .toThrow(expect.objectContaining({ code: 'missing_field', detail: 'field card_id is missing' }) as Error);
  });
});
