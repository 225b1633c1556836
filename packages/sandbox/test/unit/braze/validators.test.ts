import { describe, expect, it } from 'vitest';
import {
  isCurrencyCode, isLanguageCode, isTimeZone, isUuid, isValidDob, isValidEmail, normalizeCountry, normalizePhone,
  parseAttributeTime, parseEventTime,
} from '../../../src/braze/validators.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('email syntax (braze-api.md §2.9)', () => {
  it('accepts ordinary addresses, plus-tags, subdomains and Punycode hosts', () => {
    for (const email of ['a.b@example.com', 'first+tag@mail.example.co.uk', 'x_y-z@xn--80ak6aa92e.com', 'ab@gmail.com', "o'neil@example.ie"]) {
      expect(isValidEmail(email), email).toBe(true);
    }
  });

  it('rejects whitespace anywhere, including around the address', () => {
    for (const email of [' a@example.com', 'a@example.com ', 'a b@example.com', 'a@exa mple.com', 'a@example.com\n']) {
      expect(isValidEmail(email), JSON.stringify(email)).toBe(false);
    }
  });

  it('rejects a local part that starts or ends with a special character, or has two dots in a row', () => {
    for (const email of ['.a@example.com', 'a.@example.com', '-a@example.com', 'a+@example.com', 'a..b@example.com']) {
      expect(isValidEmail(email), email).toBe(false);
    }
  });

  it('requires two or more host labels of 1 to 63 letters, digits or hyphens', () => {
    expect(isValidEmail('a@localhost')).toBe(false);
    expect(isValidEmail('a@exa_mple.com')).toBe(false);
    expect(isValidEmail('a@-example.com')).toBe(false);
    expect(isValidEmail(`a@${'x'.repeat(64)}.com`)).toBe(false);
    expect(isValidEmail(`a@${'x'.repeat(63)}.com`)).toBe(true);
    expect(isValidEmail('a@example..com')).toBe(false);
  });

  it('rejects IP literals, numeric TLDs and reserved TLDs', () => {
    for (const email of ['a@[127.0.0.1]', 'a@127.0.0.1', 'a@example.123', 'a@example.test', 'a@example.invalid', 'a@example.example']) {
      expect(isValidEmail(email), email).toBe(false);
    }
  });

  it('requires non-ASCII domains as Punycode', () => {
    expect(isValidEmail('a@bücher.de')).toBe(false);
    expect(isValidEmail('a@xn--bcher-kva.de')).toBe(true);
  });

  it('requires at least two characters before @ on Gmail', () => {
    expect(isValidEmail('a@gmail.com')).toBe(false);
    expect(isValidEmail('a@googlemail.com')).toBe(false);
    expect(isValidEmail('ab@gmail.com')).toBe(true);
  });

  it('applies a stricter local-part pattern on Microsoft consumer domains', () => {
    expect(isValidEmail('a+b@outlook.com')).toBe(false);
    expect(isValidEmail("o'neil@hotmail.co.uk")).toBe(false);
    expect(isValidEmail('a.b-c_d@live.com')).toBe(true);
  });

  it('rejects a missing or repeated @', () => {
    expect(isValidEmail('example.com')).toBe(false);
    expect(isValidEmail('a@b@example.com')).toBe(false);
    expect(isValidEmail('@example.com')).toBe(false);
  });
});

describe('phone normalisation (braze-api.md §2.9)', () => {
  it('strips everything but digits after a leading +', () => {
    expect(normalizePhone('+1 (724) 123-4567')).toBe('+17241234567');
    expect(normalizePhone('+44 20 7946 0000')).toBe('+442079460000');
  });

  it('reads a 10-digit number without + as a US number', () => {
    expect(normalizePhone('(724) 123-4567')).toBe('+17241234567');
  });

  it('rejects international numbers without +, more than 15 digits and too-short numbers', () => {
    expect(normalizePhone('447946000000')).toBeNull();
    expect(normalizePhone('+1234567890123456')).toBeNull();
    expect(normalizePhone('+123')).toBeNull();
    expect(normalizePhone('hello')).toBeNull();
  });
});

describe('dates (braze-api.md §2.5, §2.7)', () => {
  it('reads the attribute formats Braze lists, without a zone as UTC', () => {
    expect(iso(parseAttributeTime('2024-05-01T10:00:00Z')?.ms)).toBe('2024-05-01T10:00:00.000Z');
    expect(iso(parseAttributeTime('2024-05-01T10:00:00+02:00')?.ms)).toBe('2024-05-01T08:00:00.000Z');
    expect(iso(parseAttributeTime('2024-05-01T10:00:00:123Z')?.ms)).toBe('2024-05-01T10:00:00.123Z');
    expect(iso(parseAttributeTime('2024-05-01T10:00:00')?.ms)).toBe('2024-05-01T10:00:00.000Z');
    expect(iso(parseAttributeTime('2024-05-01 10:00:00')?.ms)).toBe('2024-05-01T10:00:00.000Z');
    expect(iso(parseAttributeTime('2024-05-01')?.ms)).toBe('2024-05-01T00:00:00.000Z');
    expect(iso(parseAttributeTime('05/01/2024')?.ms)).toBe('2024-05-01T00:00:00.000Z');
    expect(iso(parseAttributeTime('Wed May 01 10:00:00.+0000 2024')?.ms)).toBe('2024-05-01T10:00:00.000Z');
  });

  it('rejects impossible dates and other text', () => {
    for (const value of ['2024-02-30', '2024-13-01', '2024-05-01T25:00:00Z', 'tomorrow', '2024', '1714557600']) {
      expect(parseAttributeTime(value), value).toBeNull();
    }
  });

  it('reports the year so callers can refuse years after 3000', () => {
    expect(parseAttributeTime('3001-01-01')?.year).toBe(3001);
  });

  it('reads event times as ISO-8601 or with colon milliseconds only', () => {
    expect(parseEventTime('2024-05-01T10:00:00.5Z')).not.toBeNull();
    expect(parseEventTime('2024-05-01T10:00:00:500Z')).not.toBeNull();
    expect(parseEventTime('2024-05-01')).not.toBeNull();
    expect(parseEventTime('05/01/2024')).toBeNull();
    expect(parseEventTime('2024-05-01 10:00:00')).toBeNull();
  });

  it('accepts dob only as a real YYYY-MM-DD date', () => {
    expect(isValidDob('2000-02-29')).toBe(true);
    expect(isValidDob('2001-02-29')).toBe(false);
    expect(isValidDob('2000-2-9')).toBe(false);
  });
});

describe('codes (braze-api.md §2.4, §2.8, §7)', () => {
  it('keeps ISO country codes and maps English names, else null', () => {
    expect(normalizeCountry('us')).toBe('US');
    expect(normalizeCountry('Australia')).toBe('AU');
    expect(normalizeCountry('united kingdom')).toBe('GB');
    expect(normalizeCountry('USA')).toBe('US');
    expect(normalizeCountry('Trinidad and Tobago')).toBe('TT');
    expect(normalizeCountry('EU')).toBeNull();
    expect(normalizeCountry('Narnia')).toBeNull();
  });

  it('accepts ISO-639-1 language codes only', () => {
    expect(isLanguageCode('en')).toBe(true);
    expect(isLanguageCode('EN')).toBe(false);
    expect(isLanguageCode('eng')).toBe(false);
    expect(isLanguageCode('qq')).toBe(false);
  });

  it('accepts ISO-4217 currency codes in upper case', () => {
    expect(isCurrencyCode('USD')).toBe(true);
    expect(isCurrencyCode('JPY')).toBe(true);
    expect(isCurrencyCode('usd')).toBe(false);
    expect(isCurrencyCode('ABC')).toBe(false);
  });

  it('accepts IANA time zone names', () => {
    expect(isTimeZone('America/New_York')).toBe(true);
    expect(isTimeZone('UTC')).toBe(true);
    expect(isTimeZone('+02:00')).toBe(false);
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
  });

  it('recognises UUID subscription group ids', () => {
    expect(isUuid('3f1b6e2a-6c1d-4c35-9a57-0d2f0b6b9a11')).toBe(true);
    expect(isUuid('3f1b6e2a6c1d4c359a570d2f0b6b9a11')).toBe(false);
  });
});
