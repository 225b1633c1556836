import { describe, expect, it } from 'vitest';
import { emailAliasUser, phoneAliasUser, userFromIds } from '../../../../src/partners/common/identifiers.js';
import { MappingError } from '../../../../src/partners/common/mapping-error.js';

describe('userFromIds', () => {
  it('prefers external_id, then braze_id', () => {
    expect(userFromIds({ external_id: 'u1', braze_id: 'b1' })).toEqual({ external_id: 'u1' });
    expect(userFromIds({ braze_id: 'b1' })).toEqual({ braze_id: 'b1' });
    expect(userFromIds({ external_id: '', braze_id: 'b1' })).toEqual({ braze_id: 'b1' });
  });

  it('fails with no_identifier when neither is present, even with an email', () => {
    expect(() => userFromIds({ email: 'a@example.com' })).toThrow(
      expect.objectContaining({ code: 'no_identifier' }) as MappingError,
    );
  });

  it('rejects an external_id longer than Braze allows', () => {
    expect(() => userFromIds({ external_id: 'x'.repeat(988) })).toThrow(/longer than 987 bytes/);
  });
});

describe('alias users', () => {
  it('label email and phone aliases', () => {
    expect(emailAliasUser('a@example.com')).toEqual({ user_alias: { alias_name: 'a@example.com', alias_label: 'email' } });
    expect(phoneAliasUser('+447700900123')).toEqual({ user_alias: { alias_name: '+447700900123', alias_label: 'phone' } });
  });
});
