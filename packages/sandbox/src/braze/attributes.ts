import type { HandlerContext } from './handler-context.js';
import {
  ARRAY_DEFAULT_MAX_LENGTH, ARRAY_OF_OBJECTS_MAX_BYTES, DEVICE_ID_MAX_BYTES, DEVICE_ID_MIN_BYTES,
  NESTED_OBJECT_MAX_BYTES, STRING_MAX_CHARS, TIME_MAX_YEAR,
} from './limits.js';
import type { ProfileRecord } from './profile-store.js';
import type { CustomAttributeType, JsonObject, JsonValue } from './types.js';
import {
  GENDERS, isLanguageCode, isPlainObject, isTimeZone, isUuid, isValidDob, isValidEmail, jsonBytes,
  normalizeCountry, normalizePhone, parseAttributeTime, utf8Bytes,
} from './validators.js';

type Primitive = string | number | boolean;

/** One change an attributes object asks for, validated and normalised, applied later in order. */
export type AttributeOp =
  | { readonly kind: 'standard'; readonly key: string; readonly value: JsonValue; readonly free?: boolean }
  | { readonly kind: 'email'; readonly value: string | null }
  | { readonly kind: 'phone'; readonly value: string | null }
  | { readonly kind: 'push_tokens'; readonly tokens: readonly JsonObject[] }
  | { readonly kind: 'subscription_groups'; readonly items: readonly SubscriptionItem[] }
  | { readonly kind: 'set'; readonly key: string; readonly value: JsonValue; readonly type: CustomAttributeType }
  | { readonly kind: 'unset'; readonly key: string }
  | { readonly kind: 'inc'; readonly key: string; readonly by: number }
  | { readonly kind: 'array'; readonly key: string; readonly add: readonly Primitive[]; readonly remove: readonly Primitive[] }
  | { readonly kind: 'object'; readonly key: string; readonly value: JsonObject; readonly merge: boolean }
  | { readonly kind: 'objects'; readonly key: string; readonly value: readonly JsonObject[] }
  | { readonly kind: 'objects-ops'; readonly key: string; readonly ops: readonly ObjectsOp[] };

export type ObjectsOp =
  | { readonly op: '$add'; readonly items: readonly JsonObject[] }
  | { readonly op: '$remove'; readonly key: string; readonly value: JsonValue }
  | { readonly op: '$update'; readonly key: string; readonly value: JsonValue; readonly newObject: JsonObject };

export interface SubscriptionItem {
  readonly id: string;
  readonly state: 'subscribed' | 'unsubscribed';
  readonly doubleOptIn: boolean;
}

export interface AttributePlan {
  readonly ops: AttributeOp[];
  /** Set when a nested attribute value is invalid: §2.6 drops every nested update of the request. */
  nestedInvalid?: string;
  readonly warnings: string[];
}

export type PlanResult = { readonly ok: true; readonly plan: AttributePlan } | { readonly ok: false; readonly error: string };

const NESTED_KINDS = new Set<AttributeOp['kind']>(['object', 'objects', 'objects-ops']);
export const isNestedOp = (op: AttributeOp): boolean => NESTED_KINDS.has(op.kind);

const RESERVED_KEYS = new Set(['external_id', 'user_alias', 'braze_id', '_update_existing_only', '_merge_objects']);
const SUBSCRIBE_STATES = new Set(['opted_in', 'subscribed', 'unsubscribed']);
const STRING_FIELDS = new Set(['first_name', 'last_name', 'home_city']);
const DATE_FIELDS = new Set(['date_of_first_session', 'date_of_last_session', 'marked_email_as_spam_at']);
const BOOLEAN_FIELDS = new Set(['email_open_tracking_disabled', 'email_click_tracking_disabled']);
const HASH_FIELDS = new Set(['facebook', 'twitter']);

class NestedInvalid extends Error {}

/** Marker for a nested `$time` whose year Braze will not store (§2.6): the key is left out. */
const OMIT = Symbol('omit');

function normalizeNested(value: JsonValue, path: string): JsonValue | typeof OMIT {
  if (value === null) throw new NestedInvalid(`${path} is null`);
  if (typeof value === 'string') {
    if (value.length > STRING_MAX_CHARS) throw new NestedInvalid(`${path} is longer than ${STRING_MAX_CHARS} characters`);
    return value;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) {
    const out: JsonValue[] = [];
    for (let i = 0; i < value.length; i++) {
      const item = normalizeNested(value[i], `${path}[${i}]`);
      if (item !== OMIT) out.push(item);
    }
    return out;
  }
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$time') {
    const raw = value.$time;
    if (typeof raw !== 'string') throw new NestedInvalid(`${path}.$time must be a date string`);
    const parsed = parseAttributeTime(raw);
    if (parsed === null) throw new NestedInvalid(`${path}.$time is not a date Braze reads`);
    if (parsed.year < 0 || parsed.year > TIME_MAX_YEAR) return OMIT;
    return { $time: new Date(parsed.ms).toISOString() };
  }
  const out: JsonObject = {};
  for (const key of keys) {
    if (key === '' || key.length > STRING_MAX_CHARS) throw new NestedInvalid(`${path} has a key of invalid length`);
    if (/\s/.test(key)) throw new NestedInvalid(`${path} has a key with spaces`);
    const item = normalizeNested(value[key], `${path}.${key}`);
    if (item !== OMIT) out[key] = item;
  }
  return out;
}

function normalizeNestedObject(value: JsonObject, path: string): JsonObject {
  return normalizeNested(value, path) as JsonObject;
}

/** §8: each key of a nested object is one data point. */
export function nestedKeyCount(value: JsonValue): number {
  if (Array.isArray(value)) return value.reduce<number>((n, item) => n + nestedKeyCount(item), 0);
  if (!isPlainObject(value)) return 0;
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === '$time') return 1;
  let n = 0;
  for (const key of keys) {
    const child = value[key];
    n += isPlainObject(child) && !('$time' in child) ? Math.max(1, nestedKeyCount(child)) : 1;
  }
  return n;
}

const isPrimitive = (value: JsonValue): value is Primitive =>
  typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';

function checkPrimitives(values: readonly JsonValue[], key: string): string | null {
  for (const value of values) {
    if (!isPrimitive(value)) return `array attribute '${key}' may hold only strings, numbers and booleans`;
    if (typeof value === 'string' && value.length > STRING_MAX_CHARS) {
      return `array attribute '${key}' has a value longer than ${STRING_MAX_CHARS} characters`;
    }
  }
  return null;
}

function isOperatorObject(value: JsonObject, operators: readonly string[]): boolean {
  const keys = Object.keys(value);
  return keys.length > 0 && keys.every((k) => operators.includes(k));
}

/** A custom attribute value (§2.5, §2.6) as an op, or an error type. */
function customOp(key: string, value: JsonValue, merge: boolean, arrayCap: number, plan: AttributePlan): AttributeOp | string {
  if (key === '' || key.length > STRING_MAX_CHARS) return `attribute key must be 1 to ${STRING_MAX_CHARS} characters`;
  if (value === null) return { kind: 'unset', key };
  if (typeof value === 'string') {
    if (value.length > STRING_MAX_CHARS) return `attribute '${key}' is longer than ${STRING_MAX_CHARS} characters`;
    const time = parseAttributeTime(value);
    // §2.5: a date-looking string becomes a time attribute, unless its year is out of range.
    if (time !== null && time.year >= 0 && time.year <= TIME_MAX_YEAR) {
      return { kind: 'set', key, value: new Date(time.ms).toISOString(), type: 'time' };
    }
    return { kind: 'set', key, value, type: 'string' };
  }
  if (typeof value === 'number') return { kind: 'set', key, value, type: 'number' };
  if (typeof value === 'boolean') return { kind: 'set', key, value, type: 'boolean' };
  if (Array.isArray(value)) {
    if (value.length > 0 && value.every(isPlainObject)) {
      try {
        const items = value.map((item, i) => normalizeNestedObject(item as JsonObject, `${key}[${i}]`));
        if (jsonBytes(items) > ARRAY_OF_OBJECTS_MAX_BYTES) throw new NestedInvalid(`${key} is larger than 100 KB`);
        return { kind: 'objects', key, value: items };
      } catch (err) {
        if (!(err instanceof NestedInvalid)) throw err;
        plan.nestedInvalid ??= err.message;
        return { kind: 'objects', key, value: [] };
      }
    }
    const problem = checkPrimitives(value, key);
    if (problem !== null) return problem;
    // §2.5: duplicates collapse; past the cap the oldest elements go.
    const unique = [...new Set(value as Primitive[])];
    return { kind: 'set', key, value: unique.slice(Math.max(0, unique.length - arrayCap)), type: 'array' };
  }
  // An object: an operator (inc, add/remove, $add/$remove/$update) or a nested object.
  const keys = Object.keys(value);
  if (keys.length === 1 && keys[0] === 'inc') {
    const by = value.inc;
    if (typeof by !== 'number' || !Number.isInteger(by)) return `'inc' on '${key}' must be an integer`;
    return { kind: 'inc', key, by };
  }
  if (isOperatorObject(value, ['add', 'remove']) && keys.every((k) => Array.isArray(value[k]))) {
    const add = (value.add ?? []) as JsonValue[];
    const remove = (value.remove ?? []) as JsonValue[];
    const problem = checkPrimitives(add, key) ?? checkPrimitives(remove, key);
    if (problem !== null) return problem;
    return { kind: 'array', key, add: add as Primitive[], remove: remove as Primitive[] };
  }
  if (isOperatorObject(value, ['$add', '$remove', '$update'])) {
    try {
      return { kind: 'objects-ops', key, ops: objectsOps(key, value, merge) };
    } catch (err) {
      if (!(err instanceof NestedInvalid)) throw err;
      plan.nestedInvalid ??= err.message;
      return { kind: 'objects-ops', key, ops: [] };
    }
  }
  try {
    const normalized = normalizeNestedObject(value, key);
    if (jsonBytes(normalized) > NESTED_OBJECT_MAX_BYTES) throw new NestedInvalid(`${key} is larger than 50 KB`);
    return { kind: 'object', key, value: normalized, merge };
  } catch (err) {
    if (!(err instanceof NestedInvalid)) throw err;
    plan.nestedInvalid ??= err.message;
    return { kind: 'object', key, value: {}, merge };
  }
}

function objectsOps(key: string, value: JsonObject, merge: boolean): ObjectsOp[] {
  const ops: ObjectsOp[] = [];
  for (const [op, raw] of Object.entries(value)) {
    if (!Array.isArray(raw)) throw new NestedInvalid(`${key}.${op} must be an array`);
    if (op === '$add') {
      if (!raw.every(isPlainObject)) throw new NestedInvalid(`${key}.$add must hold objects`);
      ops.push({ op, items: raw.map((item, i) => normalizeNestedObject(item as JsonObject, `${key}.$add[${i}]`)) });
      continue;
    }
    if (op === '$update' && !merge) throw new NestedInvalid(`${key}.$update needs "_merge_objects": true`);
    for (const item of raw) {
      if (!isPlainObject(item) || typeof item.$identifier_key !== 'string' || !('$identifier_value' in item)) {
        throw new NestedInvalid(`${key}.${op} items need $identifier_key and $identifier_value`);
      }
      if (op === '$remove') {
        ops.push({ op, key: item.$identifier_key, value: item.$identifier_value });
      } else {
        if (!isPlainObject(item.$new_object)) throw new NestedInvalid(`${key}.$update items need $new_object`);
        ops.push({
          op: '$update', key: item.$identifier_key, value: item.$identifier_value,
          newObject: normalizeNestedObject(item.$new_object, `${key}.$update.$new_object`),
        });
      }
    }
  }
  if (jsonBytes(value) > ARRAY_OF_OBJECTS_MAX_BYTES) throw new NestedInvalid(`${key} is larger than 100 KB`);
  return ops;
}

function pushTokensOp(value: JsonValue): AttributeOp | string {
  if (!Array.isArray(value) || !value.every(isPlainObject)) return 'BAD_PUSH_TOKEN_VALUE';
  for (const token of value as JsonObject[]) {
    if (typeof token.app_id !== 'string' || token.app_id === '') return 'BAD_PUSH_TOKEN_APP_ID';
    if (typeof token.token !== 'string') return 'BAD_PUSH_TOKEN_STRING';
    if ('device_id' in token) {
      const id = token.device_id;
      if (typeof id !== 'string' || utf8Bytes(id) < DEVICE_ID_MIN_BYTES || utf8Bytes(id) > DEVICE_ID_MAX_BYTES) return 'BAD_DEVICE_ID';
    }
  }
  return { kind: 'push_tokens', tokens: value as JsonObject[] };
}

function subscriptionGroupsOp(value: JsonValue, ctx: HandlerContext): AttributeOp | string {
  if (!Array.isArray(value)) return 'BAD_SUBSCRIPTION_GROUP_ARRAY';
  const items: SubscriptionItem[] = [];
  for (const item of value) {
    if (!isPlainObject(item) || !('subscription_group_id' in item) || !('subscription_state' in item)) {
      return 'BAD_SUBSCRIPTION_GROUP_HASH';
    }
    const id = item.subscription_group_id;
    if (!isUuid(id) || ctx.groups.channel(id) === null) return 'BAD_SUBSCRIPTION_GROUP_ID';
    const state = item.subscription_state;
    if (state !== 'subscribed' && state !== 'unsubscribed') return 'BAD_SUBSCRIPTION_GROUP_STATE';
    const doi = item.use_double_opt_in_logic;
    if (doi !== undefined && typeof doi !== 'boolean') return 'BAD_SUBSCRIPTION_GROUP_HASH';
    items.push({ id: id.toLowerCase(), state, doubleOptIn: doi === true });
  }
  return { kind: 'subscription_groups', items };
}

/** A standard profile field (§2.4) as an op, an error type, or null when Braze ignores it. */
function standardOp(key: string, value: JsonValue, ctx: HandlerContext, plan: AttributePlan, where: string): AttributeOp | string | null {
  if (STRING_FIELDS.has(key)) {
    if (value !== null && typeof value !== 'string') return `'${key}' must be a string`;
    if (typeof value === 'string' && value.length > STRING_MAX_CHARS) return `'${key}' is longer than ${STRING_MAX_CHARS} characters`;
    return { kind: 'standard', key, value };
  }
  switch (key) {
    case 'email':
      if (value === null) return { kind: 'email', value: null };
      if (typeof value !== 'string' || !isValidEmail(value)) return 'EMAIL_BAD_FORMAT';
      return { kind: 'email', value };
    case 'phone':
      if (value === null) return { kind: 'phone', value: null };
      if (typeof value !== 'string') return "'phone' must be a string";
      if (normalizePhone(value) === null) plan.warnings.push(`${where}: phone is not E.164-normalisable; stored as sent and not usable for lookup`);
      return { kind: 'phone', value };
    case 'email_subscribe':
      if (typeof value !== 'string' || !SUBSCRIBE_STATES.has(value)) return 'BAD_EMAIL_SUBSCRIPTION_STATE';
      return { kind: 'standard', key, value, free: true };
    case 'push_subscribe':
      if (typeof value !== 'string' || !SUBSCRIBE_STATES.has(value)) return 'BAD_PUSH_SUBSCRIPTION_STATE';
      return { kind: 'standard', key, value, free: true };
    case 'subscription_groups':
      return subscriptionGroupsOp(value, ctx);
    case 'push_tokens':
      return pushTokensOp(value);
    case 'dob':
      if (value !== null && (typeof value !== 'string' || !isValidDob(value))) return "'dob' must be a YYYY-MM-DD date";
      return { kind: 'standard', key, value };
    case 'country': {
      if (value === null) return { kind: 'standard', key, value: null };
      const code = typeof value === 'string' ? normalizeCountry(value) : null;
      if (code === null) plan.warnings.push(`${where}: country is not an ISO-3166-1 code or a known name; set to null`);
      return { kind: 'standard', key, value: code };
    }
    case 'language':
      if (value !== null && (typeof value !== 'string' || !isLanguageCode(value))) {
        plan.warnings.push(`${where}: language is not an ISO-639-1 code; ignored`);
        return null;
      }
      return { kind: 'standard', key, value };
    case 'gender':
      if (value !== null && (typeof value !== 'string' || !GENDERS.has(value))) return "'gender' must be one of M, F, O, N, P or null";
      return { kind: 'standard', key, value };
    case 'time_zone':
      if (value !== null && (typeof value !== 'string' || !isTimeZone(value))) {
        plan.warnings.push(`${where}: time_zone is not an IANA time zone; ignored`);
        return null;
      }
      return { kind: 'standard', key, value };
    case 'current_location': {
      if (value === null) return { kind: 'standard', key, value };
      if (!isPlainObject(value)) return 'BAD_LOCATION_UPDATE';
      const { longitude, latitude } = value;
      if (typeof longitude !== 'number' || typeof latitude !== 'number' || Math.abs(longitude) > 180 || Math.abs(latitude) > 90) {
        return 'BAD_LOCATION_UPDATE';
      }
      return { kind: 'standard', key, value: { longitude, latitude } };
    }
    case 'bio':
      plan.warnings.push(`${where}: bio is no longer processed by Braze; ignored`);
      return null;
    default:
      break;
  }
  if (DATE_FIELDS.has(key)) {
    if (value === null) return { kind: 'standard', key, value };
    const time = typeof value === 'string' ? parseAttributeTime(value) : null;
    if (time === null) return `'${key}' must be a date`;
    return { kind: 'standard', key, value: new Date(time.ms).toISOString() };
  }
  if (BOOLEAN_FIELDS.has(key)) {
    if (typeof value !== 'boolean') return `'${key}' must be a boolean`;
    return { kind: 'standard', key, value };
  }
  if (HASH_FIELDS.has(key)) {
    if (value !== null && !isPlainObject(value)) return `'${key}' must be an object`;
    return { kind: 'standard', key, value };
  }
  return null;
}

const STANDARD_KEYS = new Set([
  ...STRING_FIELDS, ...DATE_FIELDS, ...BOOLEAN_FIELDS, ...HASH_FIELDS,
  'email', 'phone', 'email_subscribe', 'push_subscribe', 'subscription_groups', 'push_tokens', 'dob', 'country',
  'language', 'gender', 'time_zone', 'current_location', 'bio',
]);

/**
 * Validates one attributes object into a plan. `identifiedBy` is the key used for lookup when
 * it was email or phone: that value identified the profile and is not written again.
 */
export function planAttributes(
  object: JsonObject, ctx: HandlerContext, where: string, identifiedBy: 'email' | 'phone' | null,
): PlanResult {
  const plan: AttributePlan = { ops: [], warnings: [] };
  let merge = false;
  if ('_merge_objects' in object) {
    if (typeof object._merge_objects !== 'boolean') return { ok: false, error: "'_merge_objects' must be a boolean" };
    merge = object._merge_objects;
  }
  for (const key of Object.keys(object)) {
    if (RESERVED_KEYS.has(key) || key === identifiedBy) continue;
    const value = object[key];
    let op: AttributeOp | string | null;
    if (STANDARD_KEYS.has(key)) op = standardOp(key, value, ctx, plan, where);
    else op = customOp(key, value, merge, ctx.arrayLimits[key] ?? ARRAY_DEFAULT_MAX_LENGTH, plan);
    if (typeof op === 'string') return { ok: false, error: op };
    if (op !== null) plan.ops.push(op);
  }
  return { ok: true, plan };
}

// ---------------------------------------------------------------------------------------------
// Applying

/** Profiles own their values; primitives need no copy, which keeps the hot path cheap. */
const own = <T extends JsonValue>(value: T): T => (typeof value === 'object' && value !== null ? structuredClone(value) : value);

function deepEqual(a: JsonValue, b: JsonValue): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

function deepMerge(into: JsonObject, from: JsonObject): JsonObject {
  const out: JsonObject = { ...into };
  for (const [key, value] of Object.entries(from)) {
    const existing = out[key];
    out[key] = isPlainObject(existing) && isPlainObject(value) && !('$time' in value) ? deepMerge(existing, value) : structuredClone(value);
  }
  return out;
}

/** §8 data points of one op. Subscription states and push tokens are free. */
export function opDataPoints(op: AttributeOp): number {
  switch (op.kind) {
    case 'standard': return op.free === true ? 0 : 1;
    case 'email':
    case 'phone':
    case 'set':
    case 'unset':
    case 'inc':
      return 1;
    case 'push_tokens':
    case 'subscription_groups':
      return 0;
    case 'array': return op.add.length + (op.remove.length > 0 ? 1 : 0);
    case 'object': return Math.max(1, nestedKeyCount(op.value));
    case 'objects': return Math.max(1, nestedKeyCount(op.value as JsonValue[]));
    case 'objects-ops':
      return op.ops.reduce((n, o) => n + (o.op === '$add' ? nestedKeyCount(o.items as JsonValue[]) : o.op === '$update' ? nestedKeyCount(o.newObject) : 1), 0);
  }
}

/** Applies one op to the profile; returns its data points, or 0 with a warning when Braze would ignore it. */
export function applyAttributeOp(profile: ProfileRecord, op: AttributeOp, ctx: HandlerContext, where: string): number {
  const { store, nowMs } = ctx;
  const custom = profile.custom_attributes;
  const types = profile.custom_attribute_types;
  switch (op.kind) {
    case 'standard':
      if (op.value === null) delete profile.standard_attributes[op.key];
      else profile.standard_attributes[op.key] = own(op.value);
      break;
    case 'email':
      store.setEmail(profile, op.value, nowMs);
      break;
    case 'phone':
      store.setPhone(profile, op.value, nowMs);
      break;
    case 'push_tokens': {
      const existing = (profile.standard_attributes.push_tokens ?? []) as JsonObject[];
      const merged = existing.filter((t) => !op.tokens.some((n) => n.app_id === t.app_id && n.token === t.token));
      profile.standard_attributes.push_tokens = [...merged, ...structuredClone(op.tokens as JsonObject[])];
      break;
    }
    case 'subscription_groups':
      for (const item of op.items) {
        // §2.4: setting a group here also updates other profiles that share the email.
        const targets = new Set([profile, ...(profile.email === null ? [] : store.allByEmail(profile.email))]);
        const doubleOptIn = item.doubleOptIn && ctx.groups.channel(item.id) === 'sms';
        for (const target of targets) store.setSubscription(target, item.id, item.state, nowMs, doubleOptIn);
      }
      break;
    case 'set':
      // planAttributes built the value (a primitive, or a new array), so the profile can take it as it is.
      custom[op.key] = op.value;
      types[op.key] = op.type;
      break;
    case 'unset':
      delete custom[op.key];
      delete types[op.key];
      break;
    case 'inc': {
      const current = custom[op.key];
      if (current !== undefined && !(typeof current === 'number' && Number.isInteger(current))) {
        ctx.warnings.push(`${where}: 'inc' ignored because '${op.key}' is not an integer attribute`);
        return 0;
      }
      custom[op.key] = (current ?? 0) + op.by;
      types[op.key] = 'number';
      break;
    }
    case 'array': {
      const current = custom[op.key];
      if (current !== undefined && !Array.isArray(current)) {
        ctx.warnings.push(`${where}: '${op.key}' was not an array; add/remove started from an empty array`);
      }
      let values = (Array.isArray(current) ? [...current] : []) as Primitive[];
      for (const value of op.add) {
        // §2.5: adding an existing value moves it to the end.
        values = values.filter((v) => v !== value);
        values.push(value);
      }
      if (op.remove.length > 0) values = values.filter((v) => !op.remove.includes(v));
      const cap = ctx.arrayLimits[op.key] ?? ARRAY_DEFAULT_MAX_LENGTH;
      if (values.length > cap) values = values.slice(values.length - cap);
      custom[op.key] = values;
      types[op.key] = 'array';
      break;
    }
    case 'object': {
      const current = custom[op.key];
      // normalizeNested built op.value afresh, so it needs no copy; a merge copies what it takes.
      custom[op.key] = op.merge && isPlainObject(current) ? deepMerge(current, op.value) : op.value;
      types[op.key] = 'object';
      break;
    }
    case 'objects':
      // Built afresh by normalizeNested, like 'object'.
      custom[op.key] = [...op.value];
      types[op.key] = 'array_of_objects';
      break;
    case 'objects-ops': {
      const current = custom[op.key];
      let items = (Array.isArray(current) ? current.filter(isPlainObject) : []) as JsonObject[];
      for (const o of op.ops) {
        if (o.op === '$add') items = [...items, ...structuredClone(o.items as JsonObject[])];
        else if (o.op === '$remove') items = items.filter((item) => !deepEqual(item[o.key] ?? null, o.value));
        else items = items.map((item) => (deepEqual(item[o.key] ?? null, o.value) ? deepMerge(item, o.newObject) : item));
      }
      custom[op.key] = items;
      types[op.key] = 'array_of_objects';
      break;
    }
  }
  return opDataPoints(op);
}
