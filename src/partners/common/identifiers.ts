import type { BrazeUserRef } from '../../core/ops.js';
import { checkExternalId } from './braze-rules.js';
import { MappingError, MAPPING_ERROR_CODES as CODES } from './mapping-error.js';
import { readOptionalString, type InputRecord } from './readers.js';

/** The alias labels tributary writes; one alias per label per profile (braze-api.md §2.2). */
export const ALIAS_LABELS = { email: 'email', phone: 'phone' } as const;

export function externalIdUser(externalId: string, field: string): BrazeUserRef {
  return { external_id: checkExternalId(externalId, field) };
}

/** `email` must already be normalised (normaliseEmail), so one address is one alias. */
export function emailAliasUser(email: string): BrazeUserRef {
  return { user_alias: { alias_name: email, alias_label: ALIAS_LABELS.email } };
}

/** `phone` must already be normalised (normalisePhone). */
export function phoneAliasUser(phone: string): BrazeUserRef {
  return { user_alias: { alias_name: phone, alias_label: ALIAS_LABELS.phone } };
}

/**
 * The user of a record carrying optional `external_id` and `braze_id`. Braze takes one primary identifier
 * per object, so `external_id` wins when both are present: it is the customer's own, stable id.
 */
export function userFromIds(record: InputRecord): BrazeUserRef {
  const externalId = readOptionalString(record, 'external_id');
  if (externalId !== undefined) return externalIdUser(externalId, 'external_id');
  const brazeId = readOptionalString(record, 'braze_id');
  if (brazeId !== undefined) return { braze_id: brazeId };
  throw new MappingError(CODES.noIdentifier, 'neither external_id nor braze_id is present');
}
