import { MappingError, MAPPING_ERROR_CODES as CODES } from './mapping-error.js';

/**
 * Readers for decoded record values. The record decoder hands out plain values for Avro and JSON alike
 * (union branches already unwrapped there, in adapters/schema-registry/avro-values.ts), so the readers accept
 * plain shapes only: timestamps as numbers, numeric strings, ISO-8601 strings, Dates or bigints. They throw
 * MappingError, which `guardMapper` turns into `invalid`; error details name the field and never quote its value.
 */

/** A decoded record: the fields of one topic's value. */
export type InputRecord = Readonly<Record<string, unknown>>;

/** A value of a `props` map (topics.md): `map<null | boolean | long | double | string>`. */
export type PropValue = null | boolean | number | string;
export type Props = Readonly<Record<string, PropValue>>;

/** Longest field-name fragment quoted in an error detail: names are partner-chosen, keep details short. */
const MAX_NAME_IN_DETAIL = 64;

/** A map key (attribute or property name) as it may appear in an error detail. */
export function nameForDetail(name: string): string {
  if (name.length === 0) return '(empty)';
  return name.length <= MAX_NAME_IN_DETAIL ? name : `${name.slice(0, MAX_NAME_IN_DETAIL)}...`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The record itself: any non-array object (avsc decodes records into class instances, JSON into plain objects). */
export function readRecord(value: unknown): InputRecord {
  if (!isObject(value) || value instanceof Date) {
    throw new MappingError(CODES.invalidRecord, 'record value is not an object');
  }
  return value;
}

function fieldOf(record: InputRecord, field: string): unknown {
  return Object.hasOwn(record, field) ? record[field] : undefined;
}

function isBlank(value: string): boolean {
  return value.trim().length === 0;
}

/** A required, non-blank string. */
export function readString(record: InputRecord, field: string): string {
  const value = fieldOf(record, field);
  if (value === undefined || value === null) throw new MappingError(CODES.missingField, `field ${field} is missing`);
  if (typeof value !== 'string') throw new MappingError(CODES.invalidField, `field ${field} must be a string`);
  if (isBlank(value)) throw new MappingError(CODES.missingField, `field ${field} is empty`);
  return value;
}

/** An optional string; absent, null and blank all read as `undefined` (JSON producers often send ""). */
export function readOptionalString(record: InputRecord, field: string): string | undefined {
  const value = fieldOf(record, field);
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new MappingError(CODES.invalidField, `field ${field} must be a string`);
  return isBlank(value) ? undefined : value;
}

export function readBoolean(record: InputRecord, field: string): boolean {
  const value = fieldOf(record, field);
  if (value === undefined || value === null) throw new MappingError(CODES.missingField, `field ${field} is missing`);
  if (typeof value !== 'boolean') throw new MappingError(CODES.invalidField, `field ${field} must be a boolean`);
  return value;
}

function toFiniteNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'bigint') {
    const asNumber = Number(value);
    return Number.isSafeInteger(asNumber) ? asNumber : undefined;
  }
  return undefined;
}

export function readOptionalNumber(record: InputRecord, field: string): number | undefined {
  const value = fieldOf(record, field);
  if (value === undefined || value === null) return undefined;
  const asNumber = toFiniteNumber(value);
  if (asNumber === undefined) throw new MappingError(CODES.invalidField, `field ${field} must be a finite number`);
  return asNumber;
}

/** A required string that must be one of `symbols` (an Avro enum in the schema). */
export function readEnum<S extends string>(record: InputRecord, field: string, symbols: readonly S[]): S {
  const value = readString(record, field);
  const symbol = symbols.find((candidate) => candidate === value);
  if (symbol === undefined) {
    throw new MappingError(CODES.unknownEnumValue, `field ${field} is not one of ${symbols.join(', ')}`);
  }
  return symbol;
}

// toISOString() keeps the plain `YYYY-MM-DDTHH:mm:ss.sssZ` shape only for years 0..9999; earlier than the
// epoch is never a real partner timestamp, so both ends are rejected rather than sent to Braze.
const MAX_TIMESTAMP_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const ISO_8601 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(Z|[+-]\d{2}(?::?\d{2})?))?$/i;

function daysInMonth(year: number, month: number): number {
  return new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/**
 * Parses ISO-8601 strictly: Date.parse rolls 2024-02-30 over into March, and reads a date-time without an
 * offset in the host's time zone, which would make the mapper depend on where it runs. So a date-time needs
 * `Z` or an offset; a bare date is midnight UTC.
 */
function parseIso8601(text: string): number | undefined {
  const match = ISO_8601.exec(text);
  if (match === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = match;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  // Date.UTC maps years 0..99 onto 1900..1999; anything before the epoch is rejected anyway.
  if (year < 1970) return undefined;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (h === undefined) return Date.UTC(year, month - 1, day);
  const hour = Number(h);
  const minute = Number(mi);
  const second = s === undefined ? 0 : Number(s);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = frac === undefined ? 0 : Number(frac.padEnd(3, '0').slice(0, 3));
  let offsetMinutes = 0;
  if (zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(':', '');
    const offsetHours = Number(digits.slice(0, 2));
    const offsetMins = digits.length > 2 ? Number(digits.slice(2)) : 0;
    if (offsetHours > 18 || offsetMins > 59) return undefined;
    offsetMinutes = sign * (offsetHours * 60 + offsetMins);
  }
  return Date.UTC(year, month - 1, day, hour, minute, second, millis) - offsetMinutes * 60_000;
}

function timestampMs(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value === 'string') {
    const text = value.trim();
    if (/^\d+$/.test(text)) return Number(text);
    return parseIso8601(text);
  }
  const asNumber = toFiniteNumber(value);
  return asNumber === undefined ? undefined : Math.trunc(asNumber);
}

/** A required instant, returned as an ISO-8601 string (what Braze's `time` fields take). */
export function readTimestamp(record: InputRecord, field: string): string {
  return new Date(readTimestampMs(record, field)).toISOString();
}

/** A required instant as epoch milliseconds, checked as readTimestamp checks it (for fields only validated). */
export function readTimestampMs(record: InputRecord, field: string): number {
  const value = fieldOf(record, field);
  if (value === undefined || value === null) throw new MappingError(CODES.missingField, `field ${field} is missing`);
  const ms = timestampMs(value);
  if (ms === undefined || !Number.isFinite(ms) || ms < 0 || ms > MAX_TIMESTAMP_MS) {
    throw new MappingError(
      CODES.invalidField,
      `field ${field} must be epoch milliseconds or an ISO-8601 instant with a time zone`,
    );
  }
  return ms;
}

/**
 * A `props` map. Absent or null reads as empty (the Avro default is `{}`). Values must be scalars; bigints
 * become numbers. Built with Object.fromEntries so a `__proto__` key stays data.
 */
export function readProps(record: InputRecord, field: string): Props {
  const value = fieldOf(record, field);
  if (value === undefined || value === null) return {};
  if (!isObject(value) || value instanceof Date || value instanceof Map) {
    throw new MappingError(CODES.invalidField, `field ${field} must be a map of scalar values`);
  }
  const entries = Object.keys(value).map((key): [string, PropValue] => {
    const item = value[key];
    if (item === null || typeof item === 'boolean' || typeof item === 'string') return [key, item];
    const asNumber = toFiniteNumber(item);
    if (asNumber === undefined) {
      throw new MappingError(
        CODES.invalidField,
        `field ${field}.${nameForDetail(key)} must be null, a boolean, a finite number or a string`,
      );
    }
    return [key, asNumber];
  });
  return Object.fromEntries(entries);
}
