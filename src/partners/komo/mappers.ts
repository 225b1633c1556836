import { ops, skip, type BrazeUserRef, type JsonObject, type JsonValue, type MapResult } from '../../core/ops.js';
import type { KomoHubOptions, KomoOptions } from './options.js';
import { attributeNameProblem, checkAttributeValue, requireEmail, requirePhone } from '../common/braze-rules.js';
import { emailAliasUser, externalIdUser, phoneAliasUser } from '../common/identifiers.js';
import { guardMapper, MappingError, MAPPING_ERROR_CODES as CODES } from '../common/mapping-error.js';
import { nameForDetail } from '../common/readers.js';
import { readKomoSubmission, type KomoSubmissionRecord } from './records.js';

export const KOMO_SKIP_REASONS = { noMappedFields: 'no_mapped_fields' } as const;

/** Who the submission is for, and the attributes that identity itself puts on the profile. */
interface KomoIdentity {
  readonly user: BrazeUserRef;
  readonly attributes: JsonObject;
  /** `false` for aliases: Braze creates the alias-only profile only when told to (braze-api.md §2.3). */
  readonly updateExistingOnly?: boolean;
}

function missingIdentifier(field: string): MappingError {
  return new MappingError(CODES.noIdentifier, `field ${field} is required by the hub's user match`);
}

function komoIdentity(submission: KomoSubmissionRecord, hub: KomoHubOptions): KomoIdentity {
  switch (hub.userMatch) {
    case 'braze_id':
      if (submission.brazeId === undefined) throw missingIdentifier('braze_id');
      return { user: { braze_id: submission.brazeId }, attributes: {} };
    case 'external_id':
      if (submission.externalId === undefined) throw missingIdentifier('external_id');
      return { user: externalIdUser(submission.externalId, 'external_id'), attributes: {} };
    case 'email_alias': {
      if (submission.email === undefined) throw missingIdentifier('email');
      const email = requireEmail(submission.email, 'email');
      return { user: emailAliasUser(email), attributes: { email }, updateExistingOnly: false };
    }
    case 'phone_alias': {
      if (submission.phone === undefined) throw missingIdentifier('phone');
      const phone = requirePhone(submission.phone, 'phone');
      return { user: phoneAliasUser(phone), attributes: { phone }, updateExistingOnly: false };
    }
  }
}

/**
 * The hub's mapped fields, under their Braze names. Form input is typed by people, so a value Braze would
 * reject (a malformed phone in an optional field, an over-long free-text answer) drops that one field
 * instead of losing the whole submission. Unanswered fields (null or blank) are left out: writing null
 * would erase what an earlier form captured, and profiles are meant to build up over submissions.
 */
function mappedAttributes(submission: KomoSubmissionRecord, hub: KomoHubOptions, identity: KomoIdentity): JsonObject {
  const entries: [string, JsonValue][] = [];
  for (const komoField of Object.keys(hub.fields)) {
    if (!Object.hasOwn(submission.fields, komoField)) continue;
    const value = submission.fields[komoField];
    if (value === null || (typeof value === 'string' && value.trim().length === 0)) continue;
    const brazeName = hub.fields[komoField];
    const problem = attributeNameProblem(brazeName);
    if (problem !== undefined) {
      // A hub configuration error, not bad data: every record of the hub fails until the config is fixed.
      throw new MappingError(
        problem.code,
        `hub field map target for ${nameForDetail(komoField)} ${problem.reason}`,
      );
    }
    // The matched identity is authoritative: a form field cannot re-point the alias's email or phone.
    if (Object.hasOwn(identity.attributes, brazeName)) continue;
    const check = checkAttributeValue(brazeName, value, `fields.${nameForDetail(komoField)}`);
    if (check.ok) entries.push([brazeName, check.value]);
  }
  return Object.fromEntries(entries);
}

/**
 * `komo.submissions` -> one attributes op for the hub's user match, holding the hub's mapped fields.
 * An alias match always writes (at least the alias's email or phone, creating the alias-only profile);
 * an id match with nothing mapped has nothing to write and is skipped.
 */
export const mapKomoSubmission = guardMapper((value: unknown, options: KomoOptions): MapResult => {
  const submission = readKomoSubmission(value);
  const hub = Object.hasOwn(options.hubs, submission.hubId) ? options.hubs[submission.hubId] : undefined;
  if (hub === undefined) throw new MappingError(CODES.unknownHub, 'field hub_id names a hub that is not configured');
  const identity = komoIdentity(submission, hub);
  const attributes = { ...identity.attributes, ...mappedAttributes(submission, hub, identity) };
  if (Object.keys(attributes).length === 0) return skip(KOMO_SKIP_REASONS.noMappedFields);
  return ops({
    kind: 'track.attributes',
    user: identity.user,
    attributes,
    ...(identity.updateExistingOnly === undefined ? {} : { updateExistingOnly: identity.updateExistingOnly }),
  });
});
