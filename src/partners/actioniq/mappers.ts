import { ops, skip, type JsonValue } from '../../core/ops.js';
import type { ActionIqOptions } from './options.js';
import {
  checkAttributeName, checkEventName, checkEventProperties, requireAttributeValue,
} from '../common/braze-rules.js';
import { guardMapper } from '../common/mapping-error.js';
import { nameForDetail } from '../common/readers.js';
import { readActionIqEvent, readAudienceMembership, readUserAttributes } from './records.js';

/** Reasons for records that are dropped on purpose. */
export const ACTIONIQ_SKIP_REASONS = { noAttributes: 'no_attributes' } as const;

/** The membership attribute name: `<prefix>_<audience id>_<split id>`, e.g. `AIQ_123_2`. */
export function membershipAttributeName(prefix: string, audienceId: string, splitId: string): string {
  return `${prefix}_${audienceId}_${splitId}`;
}

/** `actioniq.audience-membership` -> one boolean custom attribute: true while in the split, false once out. */
export const mapAudienceMembership = guardMapper((value: unknown, options: ActionIqOptions) => {
  const record = readAudienceMembership(value);
  const name = checkAttributeName(
    membershipAttributeName(options.attributePrefix, record.audienceId, record.splitId),
    'the membership attribute',
  );
  return ops({ kind: 'track.attributes', user: record.user, attributes: { [name]: record.member } });
});

/**
 * `actioniq.user-attributes` -> the attributes as given. Any name or value Braze would reject dead-letters the
 * record: the attributes are the whole payload, so sending part of them would hide the problem.
 */
export const mapUserAttributes = guardMapper((value: unknown, _options: ActionIqOptions) => {
  const record = readUserAttributes(value);
  const names = Object.keys(record.attributes);
  if (names.length === 0) return skip(ACTIONIQ_SKIP_REASONS.noAttributes);
  const attributes = Object.fromEntries(
    names.map((name): [string, JsonValue] => [
      checkAttributeName(name, 'attributes'),
      requireAttributeValue(name, record.attributes[name], `attributes.${nameForDetail(name)}`),
    ]),
  );
  return ops({ kind: 'track.attributes', user: record.user, attributes });
});

/** `actioniq.events` -> one custom event at the record's timestamp, with its properties. */
export const mapActionIqEvent = guardMapper((value: unknown, _options: ActionIqOptions) => {
  const record = readActionIqEvent(value);
  const properties = checkEventProperties(record.properties, 'properties');
  return ops({
    kind: 'track.event',
    user: record.user,
    name: checkEventName(record.name, 'name'),
    time: record.timestamp,
    ...(Object.keys(properties).length > 0 ? { properties } : {}),
  });
});
