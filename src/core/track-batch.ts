import { TRACK_MAX_OBJECTS_COMBINED, TRACK_MAX_OBJECTS_PER_ARRAY_LEGACY } from './braze-limits.js';
import { TributaryError } from './errors.js';
import { userKeyOf, type BrazeUserRef, type JsonObject, type JsonValue, type TrackOp } from './ops.js';

import type { FlushReason } from './sink.js';

export type { FlushReason } from './sink.js';

export interface TrackBatchPolicy {
  /** 'combined': maxObjects across all three arrays (Braze's default); 'legacy': maxObjects per array. */
  readonly mode: 'combined' | 'legacy';
  /** At most 75 (Braze's limit in both modes); larger values are capped at 75. */
  readonly maxObjects: number;
  /** Cap on the serialized body. Braze documents no byte limit for /users/track; this keeps requests and retries cheap. */
  readonly maxBytes: number;
  /** How long a batch waits for more ops after it was opened. */
  readonly lingerMs: number;
}

export interface TrackRequestBody {
  attributes?: object[];
  events?: object[];
  purchases?: object[];
}

export type TrackArrayName = 'attributes' | 'events' | 'purchases';

/** The answer to one offer. */
export type TrackBatchOffer = 'accept' | 'reject-key' | 'full';

/**
 * Attribute values that are instructions rather than values. Two of them for one key cannot be collapsed
 * into one without changing what Braze does (two `inc` are not one), nor can one be overwritten by a value.
 */
export const ATTRIBUTE_OPERATOR_KEYS: readonly string[] = ['inc', 'add', 'remove', '$add', '$remove', '$update'];

const ARRAY_OF: Record<TrackOp['kind'], TrackArrayName> = {
  'track.attributes': 'attributes',
  'track.event': 'events',
  'track.purchase': 'purchases',
};

/** Braze processes a request's attributes, then events, then purchases (braze-api.md §2.11). */
const CATEGORY: Record<TrackArrayName, number> = { attributes: 0, events: 1, purchases: 2 };

/** A batch counts as near its byte cap (and asks to be flushed) from this share of maxBytes on. */
const NEAR_BYTE_CAP = 0.95;

interface Slot<R> {
  /** The object's JSON text: measured once, and the body is joined from these (the object itself is not kept). */
  json: string;
  bytes: number;
  readonly refs: R[];
}

interface AttributeSlot<R> extends Slot<R> {
  readonly user: BrazeUserRef;
  attributes: JsonObject;
  readonly updateExistingOnly: boolean | undefined;
}

interface UserState {
  /** Category (attributes < events < purchases) of the user's last accepted op. */
  category: number;
  /** Index of the user's attributes object, if it has one. */
  attributeSlot: number | undefined;
}

/**
 * One /users/track request body under construction. Keeps Braze's per-request object limit, a byte cap,
 * per-user order (a user's ops appear in an order Braze processes them in) and merges a user's plain
 * attribute updates into one object. Byte counts are exact UTF-8 lengths of the body build() returns.
 */
export class TrackBatch<R> {
  readonly openedAtMs: number;
  private readonly policy: TrackBatchPolicy;
  private readonly maxObjects: number;
  private readonly attributes: AttributeSlot<R>[] = [];
  private readonly events: Slot<R>[] = [];
  private readonly purchases: Slot<R>[] = [];
  private readonly objectBytes: Record<TrackArrayName, number> = { attributes: 0, events: 0, purchases: 0 };
  private readonly users = new Map<string, UserState>();
  private ops = 0;
  private totalBytes = 2; // "{}"
  /** Set when an offer was refused for room, so flushReason() never leaves a refused batch waiting for linger. */
  private refused: 'count' | 'bytes' | null = null;

  constructor(policy: TrackBatchPolicy, openedAtMs: number) {
    validateTrackBatchPolicy(policy);
    this.policy = policy;
    const limit = policy.mode === 'legacy' ? TRACK_MAX_OBJECTS_PER_ARRAY_LEGACY : TRACK_MAX_OBJECTS_COMBINED;
    this.maxObjects = Math.min(Math.floor(policy.maxObjects), limit);
    this.openedAtMs = openedAtMs;
  }

  /**
   * 'accept': added, possibly merged into the user's attributes object. 'reject-key': the op cannot join this
   * batch without breaking the user's order or the merge rules; it waits for a later batch. 'full': no room
   * (count or bytes). An op whose object alone exceeds maxBytes is accepted into an empty batch, so it is sent
   * and Braze decides.
   */
  offer(op: TrackOp, ref: R): TrackBatchOffer {
    const array = ARRAY_OF[op.kind];
    const category = CATEGORY[array];
    const key = userKeyOf(op.user);
    const user = this.users.get(key);
    if (user !== undefined && category < user.category) return 'reject-key';

    if (op.kind === 'track.attributes' && user?.attributeSlot !== undefined) {
      const slot = this.attributes[user.attributeSlot];
      if (!canMerge(slot, op.attributes, op.updateExistingOnly)) return 'reject-key';
      const attributes = { ...slot.attributes, ...op.attributes };
      const object = composeAttributes(slot.user, attributes, slot.updateExistingOnly);
      const json = JSON.stringify(object);
      const bytes = utf8Bytes(json);
      const total = this.totalBytes - slot.bytes + bytes;
      if (total > this.policy.maxBytes) return this.refuse('bytes');
      slot.attributes = attributes;
      slot.json = json;
      this.objectBytes.attributes += bytes - slot.bytes;
      slot.bytes = bytes;
      slot.refs.push(ref);
      this.totalBytes = total;
      this.ops++;
      return 'accept';
    }

    if (!this.hasRoomFor(array)) return this.refuse('count');
    const object = toBrazeObject(op);
    const json = JSON.stringify(object);
    const bytes = utf8Bytes(json);
    const total = this.bytesWithObject(array, bytes);
    if (total > this.policy.maxBytes && !this.isEmpty()) return this.refuse('bytes');

    if (op.kind === 'track.attributes') {
      // Ops are immutable: a merge builds a new attributes object, so the op's own is kept, not copied.
      this.attributes.push({
        json,
        bytes,
        refs: [ref],
        user: op.user,
        attributes: op.attributes,
        updateExistingOnly: op.updateExistingOnly,
      });
    } else {
      this.slotsOf(array).push({ json, bytes, refs: [ref] });
    }
    this.objectBytes[array] += bytes;
    this.totalBytes = total;
    this.ops++;
    const attributeSlot = array === 'attributes' ? this.attributes.length - 1 : user?.attributeSlot;
    this.users.set(key, { category: Math.max(category, user?.category ?? 0), attributeSlot });
    return 'accept';
  }

  /** Braze objects in the body (after merging). */
  get objectCount(): number {
    return this.attributes.length + this.events.length + this.purchases.length;
  }

  /** Ops accepted. */
  get opCount(): number {
    return this.ops;
  }

  /** UTF-8 length of JSON.stringify(build().body). */
  get bytes(): number {
    return this.totalBytes;
  }

  isEmpty(): boolean {
    return this.ops === 0;
  }

  /**
   * Why this batch should be sent now, or null: 'count' when no further object fits (in legacy mode: when
   * any array is full), 'bytes' when near the byte cap or an offer did not fit, 'linger' once lingerMs passed.
   */
  flushReason(now: number): FlushReason | null {
    if (this.isEmpty()) return null;
    if (this.refused === 'count' || this.countFull()) return 'count';
    if (this.refused === 'bytes' || this.totalBytes >= this.policy.maxBytes * NEAR_BYTE_CAP) return 'bytes';
    if (now - this.openedAtMs >= this.policy.lingerMs) return 'linger';
    return null;
  }

  /**
   * The request body as JSON text (what is sent), the body as data (parsed from that text when read: only
   * inspection needs it), and per array index the refs of the ops in that object (several when merged), in
   * offer order.
   */
  build(): { readonly body: TrackRequestBody; json: string; refs: { attributes: R[][]; events: R[][]; purchases: R[][] } } {
    const parts: string[] = [];
    if (this.attributes.length > 0) parts.push(`"attributes":[${this.attributes.map((s) => s.json).join(',')}]`);
    if (this.events.length > 0) parts.push(`"events":[${this.events.map((s) => s.json).join(',')}]`);
    if (this.purchases.length > 0) parts.push(`"purchases":[${this.purchases.map((s) => s.json).join(',')}]`);
    const json = `{${parts.join(',')}}`;
    let body: TrackRequestBody | undefined;
    return {
      get body(): TrackRequestBody {
        return (body ??= JSON.parse(json) as TrackRequestBody);
      },
      json,
      refs: {
        attributes: this.attributes.map((s) => [...s.refs]),
        events: this.events.map((s) => [...s.refs]),
        purchases: this.purchases.map((s) => [...s.refs]),
      },
    };
  }

  private refuse(why: 'count' | 'bytes'): 'full' {
    this.refused ??= why;
    return 'full';
  }

  private slotsOf(array: TrackArrayName): Slot<R>[] {
    return array === 'attributes' ? this.attributes : array === 'events' ? this.events : this.purchases;
  }

  private hasRoomFor(array: TrackArrayName): boolean {
    if (this.policy.mode === 'legacy') return this.slotsOf(array).length < this.maxObjects;
    return this.objectCount < this.maxObjects;
  }

  private countFull(): boolean {
    if (this.policy.mode === 'legacy') {
      return (['attributes', 'events', 'purchases'] as const).some((a) => this.slotsOf(a).length >= this.maxObjects);
    }
    return this.objectCount >= this.maxObjects;
  }

  /** Body size if one object of `bytes` were appended to `array`. */
  private bytesWithObject(array: TrackArrayName, bytes: number): number {
    const count = this.slotsOf(array).length;
    if (count > 0) return this.totalBytes + 1 + bytes; // ",<object>"
    // A new `"name":[<object>]`, plus a comma when another array precedes or follows it.
    const otherArrays = (this.attributes.length > 0 ? 1 : 0) + (this.events.length > 0 ? 1 : 0) + (this.purchases.length > 0 ? 1 : 0);
    return this.totalBytes + array.length + 5 + bytes + (otherArrays > 0 ? 1 : 0);
  }
}

/**
 * One Braze object for one op: the identifier fields of op.user, then the payload fields. The user's own
 * identifier field always wins over an attribute of the same name, so the object addresses the user the op
 * was scheduled under. `_update_existing_only` appears only when the op sets it.
 */
export function toBrazeObject(op: TrackOp): object {
  switch (op.kind) {
    case 'track.attributes':
      return composeAttributes(op.user, op.attributes, op.updateExistingOnly);
    case 'track.event':
      return withUpdateExistingOnly(
        {
          ...op.user,
          name: op.name,
          time: op.time,
          ...(op.properties === undefined ? {} : { properties: op.properties }),
        },
        op.updateExistingOnly,
      );
    case 'track.purchase':
      return withUpdateExistingOnly(
        {
          ...op.user,
          product_id: op.productId,
          currency: op.currency,
          price: op.price,
          ...(op.quantity === undefined ? {} : { quantity: op.quantity }),
          time: op.time,
          ...(op.properties === undefined ? {} : { properties: op.properties }),
        },
        op.updateExistingOnly,
      );
  }
}

/** True when `value` is an attribute operator such as {"inc": 1} or {"$add": [...]} rather than a plain value. */
export function isAttributeOperator(value: JsonValue | undefined): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  return ATTRIBUTE_OPERATOR_KEYS.some((k) => Object.prototype.hasOwnProperty.call(value, k));
}

/** Fail fast on a policy that could never produce a valid request. */
export function validateTrackBatchPolicy(policy: TrackBatchPolicy): TrackBatchPolicy {
  const fail = (detail: string): never => {
    throw new TributaryError('invalid_batch_policy', `track batch policy: ${detail}`);
  };
  if (policy.mode !== 'combined' && policy.mode !== 'legacy') fail(`mode must be 'combined' or 'legacy', got ${String(policy.mode)}`);
  if (!(policy.maxObjects >= 1)) fail(`maxObjects must be >= 1, got ${policy.maxObjects}`);
  if (!(policy.maxBytes >= 1)) fail(`maxBytes must be >= 1, got ${policy.maxBytes}`);
  if (!(policy.lingerMs >= 0)) fail(`lingerMs must be >= 0, got ${policy.lingerMs}`);
  return policy;
}

function canMerge(slot: AttributeSlot<unknown>, attributes: JsonObject, updateExistingOnly: boolean | undefined): boolean {
  if (slot.updateExistingOnly !== updateExistingOnly) return false;
  // With _merge_objects, nested objects deep-merge instead of replacing, so last-write-wins would be wrong.
  if (hasOwn(slot.attributes, '_merge_objects') || hasOwn(attributes, '_merge_objects')) return false;
  for (const name of Object.keys(attributes)) {
    if (hasOwn(slot.attributes, name) && (isAttributeOperator(slot.attributes[name]) || isAttributeOperator(attributes[name]))) return false;
  }
  return true;
}

/** The user's identifier fields first, then the attributes; an attribute named like an identifier field never wins. */
function composeAttributes(user: BrazeUserRef, attributes: JsonObject, updateExistingOnly: boolean | undefined): object {
  const object: Record<string, unknown> = { ...user };
  for (const name in attributes) {
    if (!hasOwn(attributes, name) || hasOwn(user, name)) continue;
    // Defined, not assigned: an attribute named __proto__ stays data, as it does in a spread.
    if (name === '__proto__') Object.defineProperty(object, name, { value: attributes[name], enumerable: true, writable: true, configurable: true });
    else object[name] = attributes[name];
  }
  if (updateExistingOnly !== undefined) object._update_existing_only = updateExistingOnly;
  return object;
}

function withUpdateExistingOnly<O extends object>(object: O, updateExistingOnly: boolean | undefined): O {
  return updateExistingOnly === undefined ? object : { ...object, _update_existing_only: updateExistingOnly };
}

function hasOwn(object: object, key: string): boolean {
  return Object.prototype.hasOwnProperty.call(object, key);
}

function utf8Bytes(json: string): number {
  return Buffer.byteLength(json, 'utf8');
}
