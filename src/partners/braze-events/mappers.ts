import { createHash } from 'node:crypto';
import { flow, invalid, ops, skip, type FlowStep, type JsonObject, type KafkaProduceOp, type MapResult, type MovableInkAnswer, type MovableInkOp, type Op } from '../../core/ops.js';
import { guardMapper } from '../common/mapping-error.js';
import type { Props } from '../common/readers.js';
import type { OutboundMapOptions, OutboundRoute } from './options.js';
import { readBrazeEvent, type BrazeEventRecord } from './records.js';

/** Why a `braze.events` record is skipped (counted in tributary_records_skipped_total). */
export const BRAZE_EVENTS_SKIP_REASONS = {
  noRoute: 'no_route',
  unknownUser: 'movable_ink_unknown_user',
} as const;

/** The flow of an event that makes a person's user id known to Movable Ink. */
export const MOVABLE_INK_CONTINUITY_FLOW = 'braze.movable-ink-identify';

/** The key under `topics` of the compacted continuity state. */
export const MOVABLE_INK_STATE_TOPIC_KEY = 'movableInkState';

export const BRAZE_EVENTS_CODES = {
  noEmail: 'no_email',
  noIdentifier: 'no_identifier',
} as const;

/** "Product Viewed" -> `product_viewed`, "addToCart" -> `add_to_cart`, "Sign-Up: Step 2" -> `sign_up_step_2`. */
export function snakeCase(name: string): string {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toLowerCase();
}

/** The normalised email (trimmed, lower-cased). */
export function normaliseEmail(email: string): string {
  return email.trim().toLowerCase();
}

/** Movable Ink's anonymous id for an email: the md5 hex of the trimmed, lower-cased address. */
export function anonymousIdOf(email: string): string {
  return createHash('md5').update(normaliseEmail(email), 'utf8').digest('hex');
}

const EMAIL_LIKE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const ISO_DATE_LIKE = /^\d{4}-\d{2}-\d{2}/;

/** A string that reads as a phone number: 7 to 15 digits, with only `+ ( ) . -` and spaces besides. */
export function looksLikePhone(value: string): boolean {
  const text = value.trim();
  if (!/^\+?[\d\s().-]+$/.test(text) || ISO_DATE_LIKE.test(text)) return false;
  const digits = text.replace(/\D/g, '').length;
  return digits >= 7 && digits <= 15;
}

export function looksLikeEmail(value: string): boolean {
  return EMAIL_LIKE.test(value.trim());
}

/** The properties Movable Ink may see: the stripped names removed, contact-like values dropped unless allowed. */
export function safeProperties(properties: Props, strip: readonly string[], allowContactValues: boolean): JsonObject {
  const stripped = new Set(strip.map((n) => n.toLowerCase()));
  const out: JsonObject = {};
  for (const [name, value] of Object.entries(properties)) {
    if (stripped.has(name.toLowerCase())) continue;
    if (!allowContactValues && typeof value === 'string' && (looksLikeEmail(value) || looksLikePhone(value))) continue;
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  }
  return out;
}

function userIdOf(event: BrazeEventRecord, options: OutboundMapOptions): string | undefined {
  const property = options.movableInk.userIdProperty;
  if (property !== null) {
    const value = Object.hasOwn(event.properties, property) ? event.properties[property] : undefined;
    if (typeof value === 'string' && value.trim() !== '') return value;
    if (typeof value === 'number') return String(value);
  }
  return event.externalId;
}

/** The ordering key of a person's partner calls: the anonymous id when the email is known, else the user id. */
function personOf(anonymousId: string | undefined, userId: string | undefined): string {
  return anonymousId !== undefined ? `anon:${anonymousId}` : `user:${userId}`;
}

function movableInkOp(event: BrazeEventRecord, route: OutboundRoute, options: OutboundMapOptions): MovableInkOp | MapResult {
  const userId = userIdOf(event, options);
  const anonymousId = event.email === undefined ? undefined : anonymousIdOf(event.email);
  const ids = { ...(userId === undefined ? {} : { userId }), ...(anonymousId === undefined ? {} : { anonymousId }) };
  const timing: JsonObject = { timestamp: event.timeMs, ...(event.timeZone === undefined ? {} : { timezone: event.timeZone }) };
  if (route.type === 'identify') {
    if (userId === undefined || anonymousId === undefined) {
      return invalid(BRAZE_EVENTS_CODES.noIdentifier, `a Movable Ink identify needs both a user id and an email (event routed: ${route.event.slice(0, 64)})`);
    }
    return { kind: 'movable-ink.identify', person: personOf(anonymousId, userId), ...ids, body: { type: 'identify', ...timing } };
  }
  if (userId === undefined && options.movableInk.knownUsersOnly) return skip(BRAZE_EVENTS_SKIP_REASONS.unknownUser);
  if (userId === undefined && anonymousId === undefined) {
    return invalid(BRAZE_EVENTS_CODES.noIdentifier, 'a Movable Ink event needs a user id (external_id) or an email');
  }
  return {
    kind: 'movable-ink.track',
    person: personOf(anonymousId, userId),
    ...ids,
    body: {
      type: 'track',
      event: snakeCase(event.name),
      properties: safeProperties(event.properties, options.movableInk.stripProperties, route.allowContactValues === true),
      ...timing,
    },
  };
}

/**
 * A Braze event from `braze.events` becomes one partner call per matching route (`outbound.routes`):
 * Movable Ink track or identify, or the Quikly webhook. No matching route: skipped, counted, not
 * dead-lettered. Pure: the user id continuity and the identifiers in the body are the Movable Ink sink's.
 */
export const mapBrazeEvent = guardMapper((value: unknown, options: OutboundMapOptions): MapResult => {
  const event = readBrazeEvent(value);
  const routes = options.routes.filter((r) => r.event === event.name);
  if (routes.length === 0) return skip(BRAZE_EVENTS_SKIP_REASONS.noRoute);
  const list: Op[] = [];
  let skipped: MapResult | null = null;
  for (const route of routes) {
    if (route.to === 'movableInk') {
      const op = movableInkOp(event, route, options);
      if ('type' in op) {
        if (op.type === 'skip') {
          skipped = op;
          continue;
        }
        return op;
      }
      list.push(op);
    } else {
      if (event.email === undefined) return invalid(BRAZE_EVENTS_CODES.noEmail, 'the Quikly webhook needs the event\'s email');
      list.push({ kind: 'quikly.webhook', person: `anon:${anonymousIdOf(event.email)}`, qScope: route.qScope ?? '', eventId: route.eventId ?? '', email: event.email.trim() });
    }
  }
  if (list.length === 0) return skipped ?? skip(BRAZE_EVENTS_SKIP_REASONS.noRoute);
  return withContinuity(list);
});

/** The continuity state record of a pairing: keyed by the anonymous id, in the compacted state topic. */
export function continuityRecord(anonymousId: string, userId: string): KafkaProduceOp {
  return { kind: 'kafka.produce', topicKey: MOVABLE_INK_STATE_TOPIC_KEY, key: anonymousId, value: { anonymous_id: anonymousId, user_id: userId }, stampField: 'updated_at' };
}

/**
 * User id continuity: an event that pairs an anonymous id with a user id first makes sure Movable Ink has
 * that pairing (an identify, skipped by the sink when it was sent before), records the pairing in the state
 * topic once a new one was sent, and only then sends its other calls. Events without such a pairing go as
 * they are.
 */
function withContinuity(list: readonly Op[]): MapResult {
  const pairing = list.find((op): op is MovableInkOp & { userId: string; anonymousId: string } =>
    (op.kind === 'movable-ink.track' || op.kind === 'movable-ink.identify') && op.userId !== undefined && op.anonymousId !== undefined);
  if (pairing === undefined) return ops(...list);
  const explicit = list.find((op) => op.kind === 'movable-ink.identify');
  const identify: MovableInkOp = explicit?.kind === 'movable-ink.identify'
    ? explicit
    : {
        kind: 'movable-ink.identify',
        person: pairing.person,
        userId: pairing.userId,
        anonymousId: pairing.anonymousId,
        body: { type: 'identify', timestamp: pairing.body.timestamp ?? null, ...(pairing.body.timezone === undefined ? {} : { timezone: pairing.body.timezone }) },
        onlyIfNew: true,
      };
  const rest = list.filter((op) => op !== explicit);
  const last: FlowStep = rest.length === 0 ? { type: 'done' } : { type: 'ops', ops: rest };
  return flow({
    name: MOVABLE_INK_CONTINUITY_FLOW,
    key: `person:${pairing.person}`,
    start: {
      type: 'ops',
      ops: [identify],
      then: ([answer]) => ((answer as MovableInkAnswer | undefined)?.sent === true
        ? { type: 'ops', ops: [continuityRecord(pairing.anonymousId, pairing.userId)], then: () => last }
        : last),
    },
  });
}
