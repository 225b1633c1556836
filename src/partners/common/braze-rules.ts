import type { JsonObject, JsonValue } from '../../core/ops.js';
import { MappingError, MAPPING_ERROR_CODES as CODES } from './mapping-error.js';
import { nameForDetail, type Props, type PropValue } from './readers.js';
import { EXTERNAL_ID_MAX_BYTES, STRING_MAX_CHARS } from '../../core/braze-limits.js';

/**
 * What Braze accepts in /users/track, as named constants. Sources: docs/reference/braze-api.md §2.2, §2.5, §2.7,
 * and https://www.braze.com/docs/api/objects_filters/user_attributes_object/ ,
 * https://www.braze.com/docs/api/objects_filters/event_object/ .
 */
export const BRAZE_LIMITS = {
  /** Custom attribute and event property string values (characters). */
  maxStringLength: STRING_MAX_CHARS,
  /** Custom attribute keys (characters). */
  maxAttributeNameLength: STRING_MAX_CHARS,
  /** Event property names (characters). */
  maxPropertyNameLength: STRING_MAX_CHARS,
  /** Custom event names: not documented for REST, the SDK limit is used. */
  maxEventNameLength: STRING_MAX_CHARS,
  /** Longer external ids are rejected with EXTERNAL_USER_ID_TOO_LARGE. */
  maxExternalIdBytes: EXTERNAL_ID_MAX_BYTES,
  /** RFC 5321 path limit; Braze documents no own limit. */
  maxEmailLength: 254,
  /** Distinct properties per event; Braze drops the extras (braze-api.md §2.7). */
  maxEventProperties: 256,
} as const;

/** Event property names that Braze rejects with an API error. */
export const RESERVED_PROPERTY_NAMES: ReadonlySet<string> = new Set(['time', 'event_name']);

/**
 * Keys of a /users/track attributes object that are identifiers or flags, not attributes: a partner attribute
 * with one of these names would re-address or re-configure the object.
 */
export const RESERVED_ATTRIBUTE_NAMES: ReadonlySet<string> = new Set([
  'external_id', 'braze_id', 'user_alias', 'app_id', '_update_existing_only', '_merge_objects',
]);

export const EMAIL_SUBSCRIPTION_STATES = ['opted_in', 'subscribed', 'unsubscribed'] as const;
export const GENDERS = ['M', 'F', 'O', 'N', 'P'] as const;

/** Braze counts string lengths in UTF-16 code units (as JavaScript does): an emoji is two. */
function charLength(text: string): number {
  return text.length;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Text Braze would store garbled or refuse: a lone surrogate (ill-formed UTF-16) or a NUL character. */
export function checkWellFormed(value: string, field: string): string {
  if (value.includes('\u0000') || LONE_SURROGATE.test(value)) {
    throw new MappingError(CODES.invalidField, `field ${field} holds ill-formed Unicode (a lone surrogate) or a NUL character`);
  }
  return value;
}

const utf8 = new TextEncoder();

export function checkStringLength(value: string, field: string): string {
  checkWellFormed(value, field);
  if (charLength(value) > BRAZE_LIMITS.maxStringLength) {
    throw new MappingError(CODES.brazeLimit, `field ${field} is longer than ${BRAZE_LIMITS.maxStringLength} characters`);
  }
  return value;
}

export function checkExternalId(value: string, field: string): string {
  // A UTF-16 code unit is at most 3 UTF-8 bytes: short ids need no encoding to be known short enough.
  if (value.length * 3 > BRAZE_LIMITS.maxExternalIdBytes && utf8.encode(value).length > BRAZE_LIMITS.maxExternalIdBytes) {
    throw new MappingError(CODES.brazeLimit, `field ${field} is longer than ${BRAZE_LIMITS.maxExternalIdBytes} bytes`);
  }
  return value;
}

export function checkEventName(name: string, field: string): string {
  if (name.trim().length === 0) throw new MappingError(CODES.invalidName, `field ${field} is an empty event name`);
  if (charLength(name) > BRAZE_LIMITS.maxEventNameLength) {
    throw new MappingError(CODES.brazeLimit, `field ${field} is longer than ${BRAZE_LIMITS.maxEventNameLength} characters`);
  }
  return name;
}

/** Why a name cannot be used, with the dead-letter code that goes with it. */
export interface NameProblem {
  readonly code: string;
  readonly reason: string;
}

function lengthProblem(name: string, max: number): NameProblem | undefined {
  return charLength(name) > max ? { code: CODES.brazeLimit, reason: `is longer than ${max} characters` } : undefined;
}

/** Why Braze would reject `name` as an event property name, or undefined when it is fine. */
export function propertyNameProblem(name: string): NameProblem | undefined {
  if (name.length === 0) return { code: CODES.invalidName, reason: 'is empty' };
  if (name.startsWith('$')) return { code: CODES.invalidName, reason: 'starts with $' };
  if (RESERVED_PROPERTY_NAMES.has(name)) return { code: CODES.invalidName, reason: 'is reserved by Braze' };
  return lengthProblem(name, BRAZE_LIMITS.maxPropertyNameLength);
}

/** Why `name` cannot be a key of a /users/track attributes object, or undefined when it is fine. */
export function attributeNameProblem(name: string): NameProblem | undefined {
  if (name.trim().length === 0) return { code: CODES.invalidName, reason: 'is empty' };
  // `$` keys are Braze's operators inside nested attributes ($add, $time); never a partner's attribute.
  if (name.startsWith('$')) return { code: CODES.invalidName, reason: 'starts with $' };
  if (RESERVED_ATTRIBUTE_NAMES.has(name)) {
    return { code: CODES.invalidName, reason: 'is an identifier or flag, not an attribute' };
  }
  return lengthProblem(name, BRAZE_LIMITS.maxAttributeNameLength);
}

/** `where` says which map the name came from, e.g. `properties`; the name itself is quoted (shortened). */
export function checkPropertyName(name: string, where: string): string {
  const problem = propertyNameProblem(name);
  if (problem !== undefined) {
    throw new MappingError(problem.code, `property name ${nameForDetail(name)} in ${where} ${problem.reason}`);
  }
  return name;
}

export function checkAttributeName(name: string, where: string): string {
  const problem = attributeNameProblem(name);
  if (problem !== undefined) {
    throw new MappingError(problem.code, `attribute name ${nameForDetail(name)} in ${where} ${problem.reason}`);
  }
  return name;
}

const EMAIL_LOCAL_CHARS = /^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+$/;
const ALPHANUMERIC = /^[a-z0-9]$/;
const DOMAIN_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
// A "real" TLD: letters, or a Punycode label; never fully numeric (that would be an IP address).
const TOP_LEVEL_DOMAIN = /^(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;
const GMAIL_DOMAINS: ReadonlySet<string> = new Set(['gmail.com', 'googlemail.com']);

/**
 * The email as Braze should receive it (trimmed, lower-cased), or undefined when Braze would reject it.
 * A subset of Braze's syntax rules (braze-api.md §2.9): ASCII only (non-ASCII domains must be Punycode),
 * the local part neither starts nor ends with a special character, the host has two or more labels of
 * letters, digits and hyphens with a non-numeric TLD, no IP literals, and Gmail local parts of 2+ characters.
 * Lower-casing makes one address one identity (Braze looks emails up case-insensitively anyway).
 */
export function normaliseEmail(raw: string): string | undefined {
  const email = raw.trim().toLowerCase();
  if (email.length > BRAZE_LIMITS.maxEmailLength) return undefined;
  const at = email.lastIndexOf('@');
  if (at <= 0 || email.indexOf('@') !== at) return undefined;
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  if (local.length > 64 || !EMAIL_LOCAL_CHARS.test(local) || local.includes('..')) return undefined;
  if (!ALPHANUMERIC.test(local[0]) || !ALPHANUMERIC.test(local[local.length - 1])) return undefined;
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((label) => DOMAIN_LABEL.test(label))) return undefined;
  if (!TOP_LEVEL_DOMAIN.test(labels[labels.length - 1])) return undefined;
  if (GMAIL_DOMAINS.has(domain) && local.length < 2) return undefined;
  return email;
}

const PHONE_CHARS = /^\+?[0-9\s().\-/]+$/;
const MIN_PHONE_DIGITS = 7;
const MAX_PHONE_DIGITS = 15;

/**
 * The phone in E.164 form (`+` and 7-15 digits), or undefined when it cannot be read as one. Follows how
 * Braze reads numbers (braze-api.md §2.9): punctuation is stripped, 10 digits without `+` are a US number
 * (as are 11 digits starting with 1), other numbers need `+` (or the `00` international prefix).
 * Letters (for example an extension) make the number unreadable rather than silently truncated.
 */
export function normalisePhone(raw: string): string | undefined {
  const text = raw.trim();
  if (!PHONE_CHARS.test(text)) return undefined;
  let digits = text.replace(/\D/g, '');
  if (!text.startsWith('+')) {
    if (digits.startsWith('00')) digits = digits.slice(2);
    else if (digits.length === 10 && /^[2-9]/.test(digits)) digits = `1${digits}`;
    else if (!(digits.length === 11 && /^1[2-9]/.test(digits))) return undefined;
  }
  if (digits.startsWith('0') || digits.length < MIN_PHONE_DIGITS || digits.length > MAX_PHONE_DIGITS) return undefined;
  return `+${digits}`;
}

export function requireEmail(raw: string, field: string): string {
  const email = normaliseEmail(raw);
  if (email === undefined) throw new MappingError(CODES.invalidEmail, `field ${field} is not an email address Braze accepts`);
  return email;
}

export function requirePhone(raw: string, field: string): string {
  const phone = normalisePhone(raw);
  if (phone === undefined) throw new MappingError(CODES.invalidPhone, `field ${field} is not a phone number Braze accepts`);
  return phone;
}

const SUBSCRIPTION_GROUP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Braze subscription group ids are UUIDs; anything else fails as BAD_SUBSCRIPTION_GROUP_ID. */
export function isSubscriptionGroupId(value: string): boolean {
  return SUBSCRIPTION_GROUP_ID.test(value);
}

const DATE_OF_BIRTH = /^(\d{4})-(\d{2})-(\d{2})$/;

function isCalendarDate(text: string): boolean {
  const match = DATE_OF_BIRTH.exec(text);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(2000, month - 1, day));
  // Checked in leap year 2000 so 02-29 passes for any year that has it; the year itself is checked next.
  if (month < 1 || month > 12 || date.getUTCMonth() !== month - 1) return false;
  if (month === 2 && day === 29 && !(year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0))) return false;
  return year >= 1000 && year <= 9999;
}

/** An attribute value checked against Braze's rules: the value to send, or why it cannot be sent. */
export type AttributeCheck =
  | { readonly ok: true; readonly value: JsonValue }
  | { readonly ok: false; readonly code: string; readonly detail: string };

const rejected = (code: string, detail: string): AttributeCheck => ({ ok: false, code, detail });

function checkEnumAttribute(value: string, symbols: readonly string[], field: string): AttributeCheck {
  return symbols.includes(value)
    ? { ok: true, value }
    : rejected(CODES.unknownEnumValue, `field ${field} is not one of ${symbols.join(', ')}`);
}

/**
 * Checks one attribute value under the Braze attribute name it will be written to (`field` names it in
 * details; build it with nameForDetail). Standard profile fields
 * get their own rules (braze-api.md §2.4); custom strings must fit in 255 characters. `null` passes: it unsets.
 * Returns rather than throws, so a caller can choose between dead-lettering and dropping the field.
 */
export function checkAttributeValue(brazeName: string, value: PropValue, field: string): AttributeCheck {
  const where = field;
  if (value === null) return { ok: true, value };
  if (typeof value !== 'string') {
    if (['email', 'phone', 'email_subscribe', 'push_subscribe', 'dob', 'gender'].includes(brazeName)) {
      return rejected(CODES.invalidField, `field ${where} must be a string`);
    }
    return { ok: true, value };
  }
  switch (brazeName) {
    case 'email': {
      const email = normaliseEmail(value);
      return email === undefined
        ? rejected(CODES.invalidEmail, `field ${where} is not an email address Braze accepts`)
        : { ok: true, value: email };
    }
    case 'phone': {
      const phone = normalisePhone(value);
      return phone === undefined
        ? rejected(CODES.invalidPhone, `field ${where} is not a phone number Braze accepts`)
        : { ok: true, value: phone };
    }
    case 'email_subscribe':
    case 'push_subscribe':
      return checkEnumAttribute(value, EMAIL_SUBSCRIPTION_STATES, where);
    case 'gender':
      return checkEnumAttribute(value.trim().toUpperCase(), GENDERS, where);
    case 'dob':
      return isCalendarDate(value.trim())
        ? { ok: true, value: value.trim() }
        : rejected(CODES.invalidField, `field ${where} must be a date YYYY-MM-DD`);
    default:
      if (value.includes('\u0000') || LONE_SURROGATE.test(value)) return rejected(CODES.invalidField, `field ${where} holds ill-formed Unicode (a lone surrogate) or a NUL character`);
      return charLength(value) > BRAZE_LIMITS.maxStringLength
        ? rejected(CODES.brazeLimit, `field ${where} is longer than ${BRAZE_LIMITS.maxStringLength} characters`)
        : { ok: true, value };
  }
}

/** Like checkAttributeValue, for callers that dead-letter the record on any rejected value. */
export function requireAttributeValue(brazeName: string, value: PropValue, field: string): JsonValue {
  const check = checkAttributeValue(brazeName, value, field);
  if (!check.ok) throw new MappingError(check.code, check.detail);
  return check.value;
}

/** An event property value: strings must fit in 255 characters. */
export function checkPropertyValue(value: PropValue, field: string): PropValue {
  if (typeof value === 'string') checkStringLength(value, field);
  return value;
}

/**
 * Event properties from a partner's `props` map: names and string values checked against Braze's rules.
 * Null values are left out: Braze documents no null property value, and an absent property reads the same
 * in Liquid and triggers.
 */
export function checkEventProperties(props: Props, where: string): JsonObject {
  const names = Object.keys(props).filter((name) => props[name] !== null);
  // Braze keeps the first 256 distinct properties of an event and drops the rest silently: refuse instead.
  if (names.length > BRAZE_LIMITS.maxEventProperties) {
    throw new MappingError(CODES.brazeLimit, `field ${where} has ${names.length} properties; Braze keeps at most ${BRAZE_LIMITS.maxEventProperties} per event and drops the rest`);
  }
  const entries = names
    .map((name): [string, JsonValue] => [
      checkPropertyName(name, where),
      checkPropertyValue(props[name], `${where}.${nameForDetail(name)}`),
    ]);
  return Object.fromEntries(entries);
}
