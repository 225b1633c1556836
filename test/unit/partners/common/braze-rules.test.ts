import { describe, expect, it } from 'vitest';
import {
  attributeNameProblem, BRAZE_LIMITS, checkAttributeValue, checkEventName, checkEventProperties, checkExternalId, checkStringLength,
  isSubscriptionGroupId, normaliseEmail, normalisePhone, propertyNameProblem,
} from '../../../../src/partners/common/braze-rules.js';
import { MappingError } from '../../../../src/partners/common/mapping-error.js';

function codeOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof MappingError) return error.code;
    throw error;
  }
  return 'no error';
}

describe('normaliseEmail', () => {
  it('trims and lower-cases addresses Braze accepts', () => {
    expect(normaliseEmail(' Jane.Doe@Example.COM ')).toBe('jane.doe@example.com');
    expect(normaliseEmail('a+tag@sub.example.co.uk')).toBe('a+tag@sub.example.co.uk');
    expect(normaliseEmail('o\'brien@example.ie')).toBe('o\'brien@example.ie');
    expect(normaliseEmail('jd@xn--bcher-kva.example')).toBe('jd@xn--bcher-kva.example');
    expect(normaliseEmail('ab@gmail.com')).toBe('ab@gmail.com');
  });

  it('rejects addresses Braze would answer with EMAIL_BAD_FORMAT', () => {
    for (const bad of [
      'plain', '@example.com', 'jane@', 'jane@example', 'jane@@example.com', 'ja ne@example.com', '.jane@example.com',
      'jane.@example.com', 'jane..doe@example.com', '_jane@example.com', 'jane@[192.168.0.1]', 'jane@192.168.0.1',
      'jane@example.123', 'jane@-example.com', 'jane@example-.com', 'jane@exa_mple.com', 'jöns@example.com',
      'jane@bücher.example', 'a@gmail.com', `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(250)}.com`,
    ]) {
      expect(normaliseEmail(bad), bad).toBeUndefined();
    }
  });
});

describe('normalisePhone', () => {
  it('reads numbers the way Braze does, as E.164', () => {
    expect(normalisePhone('+1 (724) 123-4567')).toBe('+17241234567');
    expect(normalisePhone('(724) 123-4567')).toBe('+17241234567');
    expect(normalisePhone('17241234567')).toBe('+17241234567');
    expect(normalisePhone('+44 7700 900123')).toBe('+447700900123');
    expect(normalisePhone('0044 7700 900123')).toBe('+447700900123');
    expect(normalisePhone('+82 10-1234-5678')).toBe('+821012345678');
  });

  it('rejects numbers that are not international, too short or too long, or carry letters', () => {
    for (const bad of [
      '07700 900123', '0770 0900', '123', '+12345', '+1234567890123456', 'call me', '+1 724 123 4567 ext 5',
      '724+1234567', '+0 7700 900123', '(124) 123-4567', '',
    ]) {
      expect(normalisePhone(bad), bad).toBeUndefined();
    }
  });
});

describe('names', () => {
  it('accepts ordinary property names and rejects empty, $-prefixed, reserved and over-long ones', () => {
    expect(propertyNameProblem('channel')).toBeUndefined();
    expect(propertyNameProblem('')?.code).toBe('invalid_name');
    expect(propertyNameProblem('$price')?.code).toBe('invalid_name');
    expect(propertyNameProblem('time')?.code).toBe('invalid_name');
    expect(propertyNameProblem('event_name')?.code).toBe('invalid_name');
    expect(propertyNameProblem('p'.repeat(256))?.code).toBe('braze_limit');
    expect(propertyNameProblem('p'.repeat(255))).toBeUndefined();
  });

  it('accepts attribute names but not identifiers, flags, $-prefixed or over-long ones', () => {
    expect(attributeNameProblem('AIQ_1_2')).toBeUndefined();
    expect(attributeNameProblem('email')).toBeUndefined();
    for (const reserved of ['external_id', 'braze_id', 'user_alias', '_update_existing_only', '_merge_objects', '$add', ' ']) {
      expect(attributeNameProblem(reserved)?.code, reserved).toBe('invalid_name');
    }
    expect(attributeNameProblem('a'.repeat(256))?.code).toBe('braze_limit');
  });

  it('counts UTF-16 units, as Braze does: an emoji is two', () => {
    expect(propertyNameProblem('😀'.repeat(127) + 'a')).toBeUndefined();
    expect(propertyNameProblem('😀'.repeat(128))).toMatchObject({ code: 'braze_limit' });
  });

  it('refuses ill-formed Unicode and NUL characters in values', () => {
    expect(codeOf(() => checkStringLength('ok \uD83D alone', 'f'))).toBe('invalid_field');
    expect(codeOf(() => checkStringLength('tail \uDE00', 'f'))).toBe('invalid_field');
    expect(codeOf(() => checkStringLength('nul \u0000 here', 'f'))).toBe('invalid_field');
    expect(checkStringLength('pair 😀', 'f')).toBe('pair 😀');
  });

  it('refuses an event with more properties than Braze keeps', () => {
    const props = Object.fromEntries(Array.from({ length: 257 }, (_, i) => [`p${i}`, i]));
    expect(codeOf(() => checkEventProperties(props, 'properties'))).toBe('braze_limit');
    expect(Object.keys(checkEventProperties(Object.fromEntries(Object.entries(props).slice(0, 256)), 'properties'))).toHaveLength(256);
  });

  it('accepts event names of 1 to 255 characters', () => {
    expect(checkEventName('extole_shared', 'name')).toBe('extole_shared');
    expect(codeOf(() => checkEventName(' ', 'name'))).toBe('invalid_name');
    expect(codeOf(() => checkEventName('e'.repeat(256), 'name'))).toBe('braze_limit');
  });
});

describe('checkExternalId', () => {
  it('allows up to 987 bytes of UTF-8', () => {
    expect(checkExternalId('a'.repeat(BRAZE_LIMITS.maxExternalIdBytes), 'external_id')).toHaveLength(987);
    expect(codeOf(() => checkExternalId('a'.repeat(988), 'external_id'))).toBe('braze_limit');
    expect(codeOf(() => checkExternalId('é'.repeat(494), 'external_id'))).toBe('braze_limit');
  });
});

describe('isSubscriptionGroupId', () => {
  it('accepts UUIDs only', () => {
    expect(isSubscriptionGroupId('3f2b9c1e-8a4d-4e6f-9b7a-1c2d3e4f5a6b')).toBe(true);
    expect(isSubscriptionGroupId('3F2B9C1E-8A4D-4E6F-9B7A-1C2D3E4F5A6B')).toBe(true);
    expect(isSubscriptionGroupId('marketing')).toBe(false);
    expect(isSubscriptionGroupId('3f2b9c1e8a4d4e6f9b7a1c2d3e4f5a6b')).toBe(false);
  });
});

describe('checkAttributeValue', () => {
  it('normalises email and phone standard attributes', () => {
    expect(checkAttributeValue('email', ' A@Example.com', 'f')).toEqual({ ok: true, value: 'a@example.com' });
    expect(checkAttributeValue('phone', '(724) 123-4567', 'f')).toEqual({ ok: true, value: '+17241234567' });
    expect(checkAttributeValue('email', 'nope', 'f')).toMatchObject({ ok: false, code: 'invalid_email' });
    expect(checkAttributeValue('phone', 'nope', 'f')).toMatchObject({ ok: false, code: 'invalid_phone' });
    expect(checkAttributeValue('email', 5, 'f')).toMatchObject({ ok: false, code: 'invalid_field' });
  });

  it('checks subscription states, gender and date of birth', () => {
    expect(checkAttributeValue('email_subscribe', 'opted_in', 'f')).toEqual({ ok: true, value: 'opted_in' });
    expect(checkAttributeValue('push_subscribe', 'yes', 'f')).toMatchObject({ ok: false, code: 'unknown_enum_value' });
    expect(checkAttributeValue('gender', 'f', 'f')).toEqual({ ok: true, value: 'F' });
    expect(checkAttributeValue('gender', 'female', 'f')).toMatchObject({ ok: false, code: 'unknown_enum_value' });
    expect(checkAttributeValue('dob', '2000-02-29', 'f')).toEqual({ ok: true, value: '2000-02-29' });
    expect(checkAttributeValue('dob', '1900-02-29', 'f')).toMatchObject({ ok: false, code: 'invalid_field' });
    expect(checkAttributeValue('dob', '1990-13-01', 'f')).toMatchObject({ ok: false, code: 'invalid_field' });
    expect(checkAttributeValue('dob', '04/12/1990', 'f')).toMatchObject({ ok: false, code: 'invalid_field' });
  });

  it('lets null through to unset, and numbers and booleans as they are', () => {
    expect(checkAttributeValue('email', null, 'f')).toEqual({ ok: true, value: null });
    expect(checkAttributeValue('score', 12.5, 'f')).toEqual({ ok: true, value: 12.5 });
    expect(checkAttributeValue('vip', true, 'f')).toEqual({ ok: true, value: true });
  });

  it('rejects custom strings longer than 255 characters and never quotes the value', () => {
    const long = 'secret'.repeat(50);
    const check = checkAttributeValue('note', long, 'attributes.note');
    expect(check).toEqual({ ok: false, code: 'braze_limit', detail: 'field attributes.note is longer than 255 characters' });
    expect(checkAttributeValue('note', 'x'.repeat(255), 'f').ok).toBe(true);
  });
});

describe('checkEventProperties', () => {
  it('leaves out null values and keeps the rest', () => {
    expect(checkEventProperties({ a: 1, b: null, c: 'x', d: false }, 'properties')).toEqual({ a: 1, c: 'x', d: false });
  });

  it('rejects a reserved name or an over-long string value', () => {
    expect(codeOf(() => checkEventProperties({ event_name: 'x' }, 'properties'))).toBe('invalid_name');
    expect(codeOf(() => checkEventProperties({ note: 'x'.repeat(256) }, 'properties'))).toBe('braze_limit');
  });
});
