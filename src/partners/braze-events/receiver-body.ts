import { MappingError } from '../common/mapping-error.js';
import { readBrazeEvent } from './records.js';

/** One Braze event as received: the object exactly as posted (unknown fields kept), and its Kafka key. */
export interface ReceivedEvent {
  readonly key: string;
  readonly value: Readonly<Record<string, unknown>>;
}

export type ReceivedBody = { readonly ok: true; readonly events: readonly ReceivedEvent[] } | { readonly ok: false; readonly reason: string };

/** Most events in one request. */
export const MAX_EVENTS_PER_REQUEST = 1000;

/**
 * Reads a receiver body: one Braze event object, or `{"events": [...]}` (topics.md). Each event must read as
 * a `braze.events` record (wrong types are refused with the field named, never its value) and carry an
 * identifier (external_id, braze_id or email), which becomes its Kafka key.
 */
export function readReceivedBody(body: unknown): ReceivedBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: false, reason: 'the body must be a JSON object: one Braze event, or {"events": [...]}' };
  const record = body as Record<string, unknown>;
  const batch = Object.hasOwn(record, 'events') && !Object.hasOwn(record, 'name');
  const list: unknown[] = batch ? (Array.isArray(record.events) ? record.events : []) : [record];
  if (batch && !Array.isArray(record.events)) return { ok: false, reason: 'events must be a list of Braze event objects' };
  if (list.length === 0) return { ok: false, reason: 'events is empty' };
  if (list.length > MAX_EVENTS_PER_REQUEST) return { ok: false, reason: `at most ${MAX_EVENTS_PER_REQUEST} events per request` };
  const events: ReceivedEvent[] = [];
  for (let i = 0; i < list.length; i++) {
    const where = batch ? `events[${i}]: ` : '';
    let event;
    try {
      event = readBrazeEvent(list[i]);
    } catch (err) {
      if (err instanceof MappingError) return { ok: false, reason: `${where}${err.detail}` };
      return { ok: false, reason: `${where}not a Braze event` };
    }
    const key = event.externalId ?? event.brazeId ?? event.email?.trim().toLowerCase();
    if (key === undefined) return { ok: false, reason: `${where}an event needs external_id, braze_id or email` };
    events.push({ key, value: list[i] as Record<string, unknown> });
  }
  return { ok: true, events };
}
