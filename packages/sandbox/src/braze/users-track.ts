import { applyAttributeOp, isNestedOp, planAttributes, type AttributePlan } from './attributes.js';
import { fatal, type HandlerContext, type HandlerResult } from './handler-context.js';
import { parseIdentifier, resolveForWrite, type Identifier } from './identifiers.js';
import {
  PROPERTIES_MAX_BYTES, PROPERTIES_MAX_COUNT, PURCHASE_MAX_QUANTITY, STRING_MAX_CHARS,
  TRACK_MAX_OBJECTS_COMBINED, TRACK_MAX_OBJECTS_PER_ARRAY_LEGACY,
} from './limits.js';
import type { ProfileRecord } from './profile-store.js';
import type { JsonObject, JsonValue, TrackArray } from './types.js';
import { isoAt } from './time.js';
import { isCurrencyCode, isPlainObject, jsonBytes, normalizePhone, parseEventTime } from './validators.js';

/** §2.12: the fatal text Braze sends for a body without any object. */
export const MSG_NO_DATA = "Valid data must be provided in the 'attributes', 'events', or 'purchases' fields.";
/** §2.10: too many objects in one request. */
export const MSG_MAX_INPUT = 'Max Input Length Exceeded';

const ARRAYS: readonly TrackArray[] = ['attributes', 'events', 'purchases'];

interface TrackError {
  type: string;
  input_array: TrackArray;
  index: number;
}

type Prepared =
  | { readonly array: 'attributes'; readonly index: number; readonly id: Identifier; readonly ueo: boolean | undefined; readonly plan: AttributePlan }
  | { readonly array: 'events'; readonly index: number; readonly id: Identifier; readonly ueo: boolean | undefined; readonly event: PreparedEvent }
  | { readonly array: 'purchases'; readonly index: number; readonly id: Identifier; readonly ueo: boolean | undefined; readonly purchase: PreparedPurchase };

interface PreparedEvent {
  readonly name: string;
  readonly timeMs: number;
  readonly app_id?: string;
  readonly properties: JsonObject;
}

interface PreparedPurchase {
  readonly product_id: string;
  readonly currency: string;
  readonly price: number;
  readonly quantity: number;
  readonly timeMs: number;
  readonly app_id?: string;
  readonly properties: JsonObject;
}

function propertyValueError(value: JsonValue, path: string): string | null {
  if (value === null) return `property '${path}' is null`;
  if (typeof value === 'string') return value.length > STRING_MAX_CHARS ? `property '${path}' is longer than ${STRING_MAX_CHARS} characters` : null;
  if (typeof value === 'number' || typeof value === 'boolean') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const error = propertyValueError(value[i], `${path}[${i}]`);
      if (error !== null) return error;
    }
    return null;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === '' || key.length > STRING_MAX_CHARS) return `property names must be 1 to ${STRING_MAX_CHARS} characters`;
    const error = propertyValueError(child, `${path}.${key}`);
    if (error !== null) return error;
  }
  return null;
}

/** §2.7 property rules, shared by events and purchases. */
function validateProperties(raw: JsonValue | undefined, where: string, warnings: string[]): JsonObject | string {
  if (raw === undefined) return {};
  if (!isPlainObject(raw)) return "'properties' must be an object";
  let structured = false;
  const keys = Object.keys(raw);
  for (const key of keys) {
    if (key === '' || key.length > STRING_MAX_CHARS) return `property names must be 1 to ${STRING_MAX_CHARS} characters`;
    if (key.startsWith('$')) return `property name '${key}' may not start with '$'`;
    if (key === 'time' || key === 'event_name') return `'${key}' is a reserved property name`;
    const value = raw[key];
    const error = propertyValueError(value, key);
    if (error !== null) return error;
    if (typeof value === 'object') structured = true;
  }
  if (structured && jsonBytes(raw) > PROPERTIES_MAX_BYTES) return 'properties with arrays or objects may not exceed 100 KB';
  if (keys.length > PROPERTIES_MAX_COUNT) {
    warnings.push(`${where}: more than ${PROPERTIES_MAX_COUNT} properties; the extra ones were dropped`);
    const kept: JsonObject = {};
    for (const key of keys.slice(0, PROPERTIES_MAX_COUNT)) kept[key] = raw[key];
    return kept;
  }
  // Never mutated after this point, by the profile or the request log, so it can be shared.
  return raw;
}

function validateTime(raw: JsonValue | undefined): number | string {
  if (raw === undefined || raw === null) return "'time' is required";
  if (typeof raw !== 'string') return "'time' must be an ISO-8601 string";
  const parsed = parseEventTime(raw);
  if (parsed === null) return "'time' must be an ISO-8601 string";
  return parsed.ms;
}

function validateAppId(raw: JsonValue | undefined): string | undefined | { error: string } {
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '') return { error: "'app_id' must be a non-empty string" };
  return raw;
}

function prepareEvent(object: JsonObject, where: string, warnings: string[]): PreparedEvent | string {
  const { name } = object;
  if (name === undefined || name === null || name === '') return "'name' is required";
  if (typeof name !== 'string') return "'name' must be a string";
  if (name.length > STRING_MAX_CHARS) return `'name' is longer than ${STRING_MAX_CHARS} characters`;
  const timeMs = validateTime(object.time);
  if (typeof timeMs === 'string') return timeMs;
  const appId = validateAppId(object.app_id);
  if (typeof appId === 'object') return appId.error;
  const properties = validateProperties(object.properties, where, warnings);
  if (typeof properties === 'string') return properties;
  return { name, timeMs, properties, ...(appId === undefined ? {} : { app_id: appId }) };
}

function preparePurchase(object: JsonObject, where: string, warnings: string[]): PreparedPurchase | string {
  const { product_id: productId, currency, price, quantity } = object;
  if (productId === undefined || productId === null || productId === '') return "'product_id' is required";
  if (typeof productId !== 'string') return "'product_id' must be a string";
  if (productId.length > STRING_MAX_CHARS) return `'product_id' is longer than ${STRING_MAX_CHARS} characters`;
  if (currency === undefined || currency === null) return "'currency' is required";
  if (!isCurrencyCode(currency)) return "'currency' must be an ISO-4217 currency code";
  if (price === undefined || price === null) return "'price' is required";
  if (typeof price !== 'number') return "'price' must be a number";
  let qty = 1;
  if (quantity !== undefined) {
    if (typeof quantity !== 'number' || !Number.isInteger(quantity) || quantity < 1 || quantity > PURCHASE_MAX_QUANTITY) {
      return `'quantity' must be an integer from 1 to ${PURCHASE_MAX_QUANTITY}`;
    }
    qty = quantity;
  }
  const timeMs = validateTime(object.time);
  if (typeof timeMs === 'string') return timeMs;
  const appId = validateAppId(object.app_id);
  if (typeof appId === 'object') return appId.error;
  const properties = validateProperties(object.properties, where, warnings);
  if (typeof properties === 'string') return properties;
  return { product_id: productId, currency, price, quantity: qty, timeMs, properties, ...(appId === undefined ? {} : { app_id: appId }) };
}

function summarize(summaries: Record<string, { count: number; first: string; last: string }>, key: string, iso: string, by: number): void {
  const current = summaries[key];
  if (current === undefined) summaries[key] = { count: by, first: iso, last: iso };
  else {
    current.count += by;
    if (iso < current.first) current.first = iso;
    if (iso > current.last) current.last = iso;
  }
}

function pushBounded<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

/**
 * POST /users/track (§2). Fatal problems answer 4xx with nothing applied; per-object problems are
 * reported in `errors` and the other objects are applied: attributes, then events, then purchases,
 * each in array order (§2.11).
 */
export function handleUsersTrack(body: JsonValue, ctx: HandlerContext): HandlerResult {
  if (body === null || body === '') return fatal(400, MSG_NO_DATA);
  if (!isPlainObject(body)) return fatal(400, 'Bad Request', ['the request body must be a JSON object']);
  const arrays: Partial<Record<TrackArray, JsonValue[]>> = {};
  let total = 0;
  for (const name of ARRAYS) {
    const value = body[name];
    if (value === undefined || value === null) continue;
    if (!Array.isArray(value)) return fatal(400, 'Bad Request', [`'${name}' must be an array`]);
    arrays[name] = value;
    total += value.length;
  }
  if (total === 0) return fatal(400, MSG_NO_DATA);
  if (ctx.objectLimitMode === 'combined') {
    if (total > TRACK_MAX_OBJECTS_COMBINED) {
      return fatal(400, MSG_MAX_INPUT, [`more than ${TRACK_MAX_OBJECTS_COMBINED} attributes, events and purchases combined in one request`]);
    }
  } else {
    for (const name of ARRAYS) {
      if ((arrays[name]?.length ?? 0) > TRACK_MAX_OBJECTS_PER_ARRAY_LEGACY) {
        return fatal(400, MSG_MAX_INPUT, [`more than ${TRACK_MAX_OBJECTS_PER_ARRAY_LEGACY} ${name} in one request`]);
      }
    }
  }

  const scripted = new Map<string, string>();
  for (const e of ctx.itemErrors ?? []) scripted.set(`${e.input_array}:${e.index}`, e.type ?? 'sandbox scripted error');

  // Validate everything first: nothing is applied until the request is known not to be fatal,
  // and one invalid nested value anywhere drops every nested update of the request (§2.6).
  const errors: TrackError[] = [];
  const prepared: Prepared[] = [];
  let nestedInvalid: string | undefined;
  for (const array of ARRAYS) {
    const list = arrays[array];
    if (list === undefined) continue;
    for (let index = 0; index < list.length; index++) {
      const where = `${array}[${index}]`;
      const scriptedType = scripted.size === 0 ? undefined : scripted.get(`${array}:${index}`);
      if (scriptedType !== undefined) {
        errors.push({ type: scriptedType, input_array: array, index });
        continue;
      }
      const object = list[index];
      if (!isPlainObject(object)) {
        errors.push({ type: `each item of '${array}' must be a JSON object`, input_array: array, index });
        continue;
      }
      const identity = parseIdentifier(object);
      if (!identity.ok) {
        if (identity.warning !== undefined) ctx.warnings.push(`${where}: ${identity.warning}`);
        errors.push({ type: identity.error, input_array: array, index });
        continue;
      }
      const { id, updateExistingOnly: ueo } = identity;
      if (array === 'attributes') {
        const identifiedBy = id.kind === 'email' || id.kind === 'phone' ? id.kind : null;
        const result = planAttributes(object, ctx, where, identifiedBy);
        if (!result.ok) {
          errors.push({ type: result.error, input_array: array, index });
          continue;
        }
        ctx.warnings.push(...result.plan.warnings);
        nestedInvalid ??= result.plan.nestedInvalid;
        prepared.push({ array, index, id, ueo, plan: result.plan });
      } else if (array === 'events') {
        const event = prepareEvent(object, where, ctx.warnings);
        if (typeof event === 'string') errors.push({ type: event, input_array: array, index });
        else prepared.push({ array, index, id, ueo, event });
      } else {
        const purchase = preparePurchase(object, where, ctx.warnings);
        if (typeof purchase === 'string') errors.push({ type: purchase, input_array: array, index });
        else prepared.push({ array, index, id, ueo, purchase });
      }
    }
  }
  if (nestedInvalid !== undefined) {
    ctx.warnings.push(`every nested attribute update in this request was dropped: ${nestedInvalid}`);
  }

  const { counters, store, nowMs } = ctx;
  for (const item of prepared) {
    const where = `${item.array}[${item.index}]`;
    const resolution = resolveForWrite(store, item.id, item.ueo, nowMs);
    if (resolution.profile === null) {
      ctx.warnings.push(`${where}: skipped: ${resolution.reason}`);
      continue;
    }
    const profile = resolution.profile;
    let points = 0;
    if (item.array === 'attributes') {
      for (const op of item.plan.ops) {
        if (nestedInvalid !== undefined && isNestedOp(op)) continue;
        points += applyAttributeOp(profile, op, ctx, where);
      }
      counters.dataPoints.attributes += points;
    } else if (item.array === 'events') {
      points = applyEvent(profile, item.event, ctx);
      counters.dataPoints.events += points;
      startDoubleOptIn(profile, item.event.name, ctx, where);
    } else {
      points = applyPurchase(profile, item.purchase, ctx);
      counters.dataPoints.purchases += points;
    }
    profile.data_points += points;
    counters.dataPoints.total += points;
    store.touch(profile, nowMs);
  }

  // Accepted events (no per-object error, skipped ones included), for the event ages of the counters.
  let eventTimesMs: number[] | undefined;
  for (const item of prepared) if (item.array === 'events') (eventTimesMs ??= []).push(item.event.timeMs);

  const response: Record<string, JsonValue> = { message: 'success' };
  for (const array of ARRAYS) {
    const list = arrays[array];
    if (list === undefined) continue;
    const failed = errors.filter((e) => e.input_array === array).length;
    response[`${array}_processed`] = list.length - failed;
    counters.objects[array].received += list.length;
    counters.objects[array].processed += list.length - failed;
    counters.objects[array].errors += failed;
  }
  if (errors.length > 0) response.errors = errors.map((e) => ({ ...e }));
  return { status: 201, body: response, ...(eventTimesMs === undefined ? {} : { eventTimesMs }) };
}

/** §2.7: a future time is replaced by the current time. */
const clampTime = (timeMs: number, nowMs: number): string => isoAt(Math.min(timeMs, nowMs));

function applyEvent(profile: ProfileRecord, event: PreparedEvent, ctx: HandlerContext): number {
  const time = clampTime(event.timeMs, ctx.nowMs);
  summarize(profile.custom_events, event.name, time, 1);
  if (ctx.keepHistory) {
    pushBounded(profile.events, {
      name: event.name, time, properties: event.properties, ...(event.app_id === undefined ? {} : { app_id: event.app_id }),
    }, ctx.store.historySize);
  }
  return 1;
}

/**
 * A double opt-in event (config `doubleOptInEvents`) stands in for the customer's Braze workflow:
 * the profile's phone enters a pending double opt-in in the event's SMS group, exactly as
 * `use_double_opt_in_logic: true` with `subscribed` does (§7), and stays Unsubscribed until confirmed.
 * A phone already Subscribed in the group stays so.
 */
function startDoubleOptIn(profile: ProfileRecord, eventName: string, ctx: HandlerContext, where: string): void {
  const groupId = Object.hasOwn(ctx.doubleOptInEvents, eventName) ? ctx.doubleOptInEvents[eventName] : undefined;
  if (groupId === undefined) return;
  if (profile.phone === null || normalizePhone(profile.phone) === null) {
    ctx.warnings.push(`${where}: double opt-in event '${eventName}' for a profile without a valid phone; no double opt-in started in group ${groupId}`);
    return;
  }
  if (profile.subscription_groups[groupId]?.state === 'subscribed') {
    ctx.warnings.push(`${where}: double opt-in event '${eventName}': the phone is already subscribed to group ${groupId}; nothing pending`);
    return;
  }
  ctx.store.setSubscription(profile, groupId, 'subscribed', ctx.nowMs, true);
}

/** §8: a purchase of quantity n counts as n purchases; purchase properties cost data points. */
function applyPurchase(profile: ProfileRecord, purchase: PreparedPurchase, ctx: HandlerContext): number {
  const time = clampTime(purchase.timeMs, ctx.nowMs);
  summarize(profile.purchases, purchase.product_id, time, purchase.quantity);
  if (ctx.keepHistory) {
    pushBounded(profile.purchase_history, {
      product_id: purchase.product_id, currency: purchase.currency, price: purchase.price, quantity: purchase.quantity,
      time, properties: purchase.properties, ...(purchase.app_id === undefined ? {} : { app_id: purchase.app_id }),
    }, ctx.store.historySize);
  }
  profile.total_revenue += purchase.price * purchase.quantity;
  return purchase.quantity + Object.keys(purchase.properties).length;
}
