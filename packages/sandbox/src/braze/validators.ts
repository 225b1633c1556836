/**
 * Pure validators for the values Braze checks: dates, emails, phones, countries, languages,
 * currencies, time zones, subscription group ids. Each follows a rule of braze-api.md (section noted).
 */

import type { JsonObject } from './types.js';

export const isPlainObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export const utf8Bytes = (value: string): number => Buffer.byteLength(value, 'utf8');

export const jsonBytes = (value: unknown): number => utf8Bytes(JSON.stringify(value) ?? '');

// ---------------------------------------------------------------------------------------------
// Dates (§2.5, §2.7)

export interface ParsedTime {
  /** Epoch milliseconds. */
  readonly ms: number;
  readonly year: number;
}

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

const ISO_DATE_TIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const COLON_MILLIS = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2}):(\d{3})(Z|z|[+-]\d{2}:?\d{2})?$/;
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const US_DATE = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/;
const JAVA_DATE =
  /^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ([A-Za-z]{3}|\d{1,2}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,3}))?(?:[ .]?(Z|UTC|GMT|[+-]\d{2}:?\d{2}))? (\d{4})$/;

function offsetMinutes(zone: string | undefined): number | null {
  if (zone === undefined || zone === 'Z' || zone === 'z' || zone === 'UTC' || zone === 'GMT') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})?$/.exec(zone);
  if (!m) return null;
  const hours = Number(m[2]);
  const minutes = Number(m[3] ?? '0');
  if (hours > 23 || minutes > 59) return null;
  return (m[1] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

function build(
  year: number, month: number, day: number, hour = 0, minute = 0, second = 0, fraction = '', zone?: string,
): ParsedTime | null {
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return null;
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (day > daysInMonth) return null;
  const offset = offsetMinutes(zone);
  if (offset === null) return null;
  const millis = fraction === '' ? 0 : Math.floor(Number(`0.${fraction}`) * 1000);
  const utc = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  // Date.UTC maps years 0..99 to 1900+; set the full year explicitly.
  const date = new Date(utc);
  date.setUTCFullYear(year);
  return { ms: date.getTime() - offset * 60_000, year };
}

/**
 * Event and purchase `time` (§2.7): ISO-8601 (date-time with or without zone, or a date), or
 * `yyyy-MM-dd'T'HH:mm:ss:SSSZ`. A value without a zone is read as UTC.
 */
export function parseEventTime(value: string): ParsedTime | null {
  let m = ISO_DATE_TIME.exec(value);
  if (m && value.includes('T')) {
    return build(+m[1], +m[2], +m[3], +m[4], +m[5], m[6] === undefined ? 0 : +m[6], m[7] ?? '', m[8]);
  }
  m = COLON_MILLIS.exec(value);
  if (m) return build(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7], m[8]);
  m = DATE_ONLY.exec(value);
  if (m) return build(+m[1], +m[2], +m[3]);
  return null;
}

/**
 * Time-valued attributes (§2.5): ISO-8601, `yyyy-MM-ddTHH:mm:ss:SSSZ`, `yyyy-MM-ddTHH:mm:ss`,
 * `yyyy-MM-dd HH:mm:ss`, `yyyy-MM-dd`, `MM/dd/yyyy` and `ddd MMM dd HH:mm:ss.TZD yyyy`.
 * No zone means UTC (a bare date is midnight UTC).
 */
export function parseAttributeTime(value: string): ParsedTime | null {
  let m = ISO_DATE_TIME.exec(value);
  if (m) return build(+m[1], +m[2], +m[3], +m[4], +m[5], m[6] === undefined ? 0 : +m[6], m[7] ?? '', m[8]);
  m = COLON_MILLIS.exec(value);
  if (m) return build(+m[1], +m[2], +m[3], +m[4], +m[5], +m[6], m[7], m[8]);
  m = DATE_ONLY.exec(value);
  if (m) return build(+m[1], +m[2], +m[3]);
  m = US_DATE.exec(value);
  if (m) return build(+m[3], +m[1], +m[2]);
  m = JAVA_DATE.exec(value);
  if (m) {
    const monthToken = m[1].toLowerCase();
    const month = /^\d+$/.test(monthToken) ? Number(monthToken) : MONTHS.indexOf(monthToken) + 1;
    if (month === 0) return null;
    return build(+m[8], month, +m[2], +m[3], +m[4], +m[5], m[6] ?? '', m[7]);
  }
  return null;
}

/** `dob` (§2.4): exactly `YYYY-MM-DD`, a real calendar date. */
export function isValidDob(value: string): boolean {
  const m = DATE_ONLY.exec(value);
  return m !== null && build(+m[1], +m[2], +m[3]) !== null;
}

// ---------------------------------------------------------------------------------------------
// Email (§2.9)

const LOCAL_PART_CHARS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const ALPHANUMERIC = /[A-Za-z0-9]/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
const TLD = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
/** RFC 2606 / RFC 6761 names are not real top-level domains. */
const RESERVED_TLDS = new Set(['test', 'example', 'invalid', 'localhost', 'local', 'localdomain']);
const GMAIL_DOMAINS = new Set(['gmail.com', 'googlemail.com']);
const MICROSOFT_DOMAIN = /^(?:hotmail|outlook|live|msn|windowslive|passport)\.[a-z.]+$/;
const MICROSOFT_LOCAL_PART = /^[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.))*$/;

/**
 * Braze's email syntax rules: no whitespace, local part may not start or end with a special
 * character, host of two or more 1–63 character alphanumeric/hyphen labels with a real
 * (non-numeric, non-reserved) TLD, no IP literals, Punycode for non-ASCII domains, Gmail local
 * part of at least 2 characters, a stricter local part for Microsoft consumer domains.
 */
export function isValidEmail(email: string): boolean {
  if (email.length === 0 || email.length > 254) return false;
  if (/\s/.test(email)) return false;
  // ASCII only: non-ASCII domains must arrive as Punycode.
  if (!/^[\x21-\x7e]+$/.test(email)) return false;
  const at = email.indexOf('@');
  if (at <= 0 || at !== email.lastIndexOf('@')) return false;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1).toLowerCase();
  if (local.length > 64 || !LOCAL_PART_CHARS.test(local)) return false;
  if (!ALPHANUMERIC.test(local[0]) || !ALPHANUMERIC.test(local[local.length - 1])) return false;
  if (local.includes('..')) return false;
  if (domain.startsWith('[')) return false;
  const labels = domain.split('.');
  if (labels.length < 2) return false;
  if (!labels.every((label) => DOMAIN_LABEL.test(label))) return false;
  const tld = labels[labels.length - 1];
  if (!TLD.test(tld) || RESERVED_TLDS.has(tld)) return false;
  if (GMAIL_DOMAINS.has(domain) && local.replace(/\./g, '').length < 2) return false;
  if (MICROSOFT_DOMAIN.test(domain) && !MICROSOFT_LOCAL_PART.test(local)) return false;
  return true;
}

/** Email lookups are case-insensitive. */
export const emailKey = (email: string): string => email.toLowerCase();

// ---------------------------------------------------------------------------------------------
// Phone (§2.9)

/**
 * E.164 normalisation: non-digits other than a leading `+` are stripped; a 10-digit number
 * without `+` is a US number; anything else must start with `+` and have at most 15 digits.
 * Returns null for a number Braze cannot use for lookup.
 */
export function normalizePhone(raw: string): string | null {
  const trimmed = raw.trim();
  const plus = trimmed.startsWith('+');
  const digits = trimmed.replace(/\D/g, '');
  if (plus) {
    if (digits.length < 8 || digits.length > 15 || digits.startsWith('0')) return null;
    return `+${digits}`;
  }
  if (digits.length === 10 && /^[2-9]/.test(digits)) return `+1${digits}`;
  return null;
}

// ---------------------------------------------------------------------------------------------
// Identifiers and codes

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (value: unknown): value is string => typeof value === 'string' && UUID.test(value);

const CURRENCIES = new Set(Intl.supportedValuesOf('currency'));
/** ISO-4217 alphabetic code, upper case (§2.8). */
export const isCurrencyCode = (value: unknown): value is string =>
  typeof value === 'string' && /^[A-Z]{3}$/.test(value) && CURRENCIES.has(value);

const LANGUAGE_NAMES = new Intl.DisplayNames(['en'], { type: 'language', fallback: 'code' });
/** ISO-639-1 two-letter code (§2.4). */
export function isLanguageCode(value: string): boolean {
  if (!/^[a-z]{2}$/.test(value)) return false;
  return LANGUAGE_NAMES.of(value) !== value;
}

/** IANA time zone name (§2.4). */
export function isTimeZone(value: string): boolean {
  if (!/^[A-Za-z][A-Za-z0-9_+-]*(?:\/[A-Za-z0-9_+-]+)*$/.test(value)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

export const GENDERS: ReadonlySet<string> = new Set(['M', 'F', 'O', 'N', 'P']);

// Region codes ICU knows that are not ISO-3166-1 alpha-2 (reserved, withdrawn or grouping codes).
const NOT_ISO_REGIONS = new Set([
  'AC', 'CP', 'CQ', 'DG', 'EA', 'IC', 'TA', 'EU', 'EZ', 'QO', 'UN', 'XA', 'XB', 'XK', 'ZZ',
  'AN', 'BU', 'CS', 'DD', 'DY', 'FX', 'HV', 'NH', 'RH', 'SU', 'TP', 'UK', 'VD', 'YD', 'YU', 'ZR',
]);

const COUNTRY_ALIASES: Record<string, string> = {
  'usa': 'US', 'u.s.a.': 'US', 'u.s.': 'US', 'united states of america': 'US', 'america': 'US',
  'uk': 'GB', 'u.k.': 'GB', 'great britain': 'GB', 'britain': 'GB', 'england': 'GB', 'scotland': 'GB', 'wales': 'GB',
  'korea': 'KR', 'republic of korea': 'KR', 'korea, republic of': 'KR', 'russian federation': 'RU',
  'czech republic': 'CZ', 'turkey': 'TR', 'ivory coast': 'CI', 'cote d\'ivoire': 'CI', 'holland': 'NL',
  'the netherlands': 'NL', 'viet nam': 'VN', 'hong kong': 'HK', 'macau': 'MO', 'macao': 'MO',
  'deutschland': 'DE', 'españa': 'ES', 'espana': 'ES', 'uae': 'AE', 'swaziland': 'SZ', 'burma': 'MM',
  'myanmar': 'MM', 'vatican': 'VA', 'palestine': 'PS', 'macedonia': 'MK', 'cape verde': 'CV',
};

const { ISO_REGIONS, REGION_BY_NAME } = (() => {
  const names = new Intl.DisplayNames(['en'], { type: 'region', fallback: 'code' });
  const codes = new Set<string>();
  const byName = new Map<string, string>();
  for (let a = 65; a <= 90; a++) {
    for (let b = 65; b <= 90; b++) {
      const code = String.fromCharCode(a, b);
      if (NOT_ISO_REGIONS.has(code)) continue;
      const name = names.of(code);
      if (name === undefined || name === code) continue;
      codes.add(code);
      const lower = name.toLowerCase();
      byName.set(lower, code);
      byName.set(lower.replace(/ & /g, ' and '), code);
      byName.set(lower.replace(/^st\. /, 'saint '), code);
      const bare = lower.replace(/ \(.*\)$/, '').replace(/ sar china$/, '');
      byName.set(bare, code);
    }
  }
  for (const [alias, code] of Object.entries(COUNTRY_ALIASES)) byName.set(alias, code);
  return { ISO_REGIONS: codes, REGION_BY_NAME: byName };
})();

export const isCountryCode = (value: string): boolean => ISO_REGIONS.has(value);

/**
 * `country` (§2.4): an ISO-3166-1 alpha-2 code is kept (upper-cased); a recognisable English
 * country name is mapped to its code (best effort); anything else becomes null.
 */
export function normalizeCountry(value: string): string | null {
  const trimmed = value.trim();
  if (/^[A-Za-z]{2}$/.test(trimmed)) {
    const upper = trimmed.toUpperCase();
    if (ISO_REGIONS.has(upper)) return upper;
  }
  return REGION_BY_NAME.get(trimmed.toLowerCase()) ?? null;
}
