import {
  flow, ops, skip, type BrazeUserRef, type JsonObject, type JsonValue, type MapResult, type Op,
} from '../../core/ops.js';
import type { ExtoleOptions, ExtoleRewardState } from './options.js';
import { checkEventName, checkEventProperties, isSubscriptionGroupId } from '../common/braze-rules.js';
import { externalIdUser } from '../common/identifiers.js';
import { lookUpByEmail } from '../common/identity-flows.js';
import { guardMapper, MappingError, MAPPING_ERROR_CODES as CODES } from '../common/mapping-error.js';
import {
  readExtoleEvent, type ExtoleEventRecord, type ExtolePerson, type ExtoleProgramEvent, type ExtoleReward, type ExtoleSubscription,
} from './records.js';

/** The value of the `partner` event property on program events. */
export const EXTOLE_PARTNER_NAME = 'Extole';

/** Logged alongside the subscription state when a participant unsubscribes. */
export const EXTOLE_UNSUBSCRIBED_EVENT = 'extole_unsubscribed';

/** Reward states whose event carries no coupon code: the reward is no longer usable. */
const REWARD_STATES_WITHOUT_COUPON: ReadonlySet<ExtoleRewardState> = new Set(['CANCELED', 'REVOKED']);

export const EXTOLE_SKIP_REASONS = { rewardStateDisabled: 'reward_state_disabled' } as const;

export function rewardEventName(state: ExtoleRewardState): string {
  return `extole_reward_${state.toLowerCase()}`;
}

/** Drops undefined entries, so absent fields are omitted rather than sent as null (which would unset them). */
function compact(entries: Readonly<Record<string, JsonValue | undefined>>): JsonObject {
  return Object.fromEntries(
    Object.entries(entries).filter((entry): entry is [string, JsonValue] => entry[1] !== undefined),
  );
}

/** The name of the flow for participants without an external id, in metrics. */
export const EXTOLE_LOOKUP_FLOW = 'extole.lookup-by-email';

/**
 * How an Extole participant is found in Braze. `external_id` comes from the configured field. Without it,
 * the email decides: by default it is looked up (`lookup`: the partner document's flow, see mapExtoleEvent);
 * with `withoutExternalId: 'email-identifier'` Braze's `email` identifier addresses the profile directly
 * (Braze updates the profile holding that email or creates an email-only one; no look-up budget spent).
 */
export function extoleUser(person: ExtolePerson, options: ExtoleOptions): { user: BrazeUserRef } | { lookup: string } {
  if (options.externalIdFrom === 'email' && person.email !== undefined) {
    return { user: externalIdUser(person.email, 'email') };
  }
  if (options.externalIdFrom === 'partner_user_id' && person.partnerUserId !== undefined) {
    return { user: externalIdUser(person.partnerUserId, 'partner_user_id') };
  }
  if (person.email !== undefined) {
    return options.withoutExternalId === 'email-identifier' ? { user: { email: person.email } } : { lookup: person.email };
  }
  throw new MappingError(CODES.noIdentifier, `neither ${options.externalIdFrom} nor email is present`);
}

function profileAttributes(person: ExtolePerson): JsonObject {
  return compact({ email: person.email, first_name: person.firstName, last_name: person.lastName });
}

/**
 * The attributes op goes first so the profile exists (and is current) before the event that may trigger on it.
 * `creates`: the user is an alias-only profile about to be created, so the attributes object creates it.
 */
function withAttributes(user: BrazeUserRef, attributes: JsonObject, rest: readonly Op[], creates: boolean): Op[] {
  if (creates) return [{ kind: 'track.attributes', user, attributes, updateExistingOnly: false }, ...rest];
  const attributeOps: Op[] = Object.keys(attributes).length > 0 ? [{ kind: 'track.attributes', user, attributes }] : [];
  return [...attributeOps, ...rest];
}

function mapProgramEvent(event: ExtoleProgramEvent, user: BrazeUserRef, creates: boolean): Op[] {
  const extras = checkEventProperties(event.properties, 'properties');
  // The named fields win over same-named extras: `partner` must stay Extole for segment filters to work.
  const properties: JsonObject = {
    ...extras,
    ...compact({
      partner: EXTOLE_PARTNER_NAME,
      funnel: event.funnel,
      program: event.program,
      share_channel: event.shareChannel,
    }),
  };
  return withAttributes(user, { ...profileAttributes(event.person), ...compact({ share_link: event.shareLink }) }, [
    { kind: 'track.event', user, name: checkEventName(event.name, 'name'), time: event.occurredAt, properties },
  ], creates);
}

function mapSubscription(event: ExtoleSubscription, user: BrazeUserRef, creates: boolean): Op[] {
  const groupId = event.subscriptionGroupId;
  if (groupId !== undefined && !isSubscriptionGroupId(groupId)) {
    throw new MappingError(CODES.invalidField, 'field subscription_group_id is not a subscription group UUID');
  }
  const attributes: JsonObject = {
    ...profileAttributes(event.person),
    ...compact({ list_type: event.listType }),
    // Extole's "subscribed" is an explicit marketing opt-in, which is Braze's `opted_in`, not the default `subscribed`.
    email_subscribe: event.status === 'subscribed' ? 'opted_in' : 'unsubscribed',
    ...(groupId === undefined
      ? {}
      : { subscription_groups: [{ subscription_group_id: groupId, subscription_state: event.status }] }),
  };
  if (event.status === 'subscribed') return withAttributes(user, attributes, [], creates);
  const properties = compact({
    email: event.person.email,
    subscription_status: event.status,
    subscription_group_id: groupId,
  });
  return withAttributes(user, attributes, [
    { kind: 'track.event', user, name: EXTOLE_UNSUBSCRIBED_EVENT, time: event.occurredAt, properties },
  ], creates);
}

function mapReward(event: ExtoleReward, user: BrazeUserRef, creates: boolean): Op[] {
  const properties = compact({
    email: event.person.email,
    face_value: event.faceValue,
    face_value_type: event.faceValueType,
    coupon_code: REWARD_STATES_WITHOUT_COUPON.has(event.state) ? undefined : event.couponCode,
  });
  return withAttributes(user, profileAttributes(event.person), [
    { kind: 'track.event', user, name: rewardEventName(event.state), time: event.occurredAt, properties },
  ], creates);
}

function opsFor(event: ExtoleEventRecord, user: BrazeUserRef, creates: boolean): Op[] {
  switch (event.kind) {
    case 'program_event':
      return mapProgramEvent(event, user, creates);
    case 'subscription':
      return mapSubscription(event, user, creates);
    case 'reward':
      return mapReward(event, user, creates);
  }
}

/**
 * `extole.events` -> program events, subscription states and rewards (docs/partners.md). A participant
 * without an external id is looked up by email: found -> that profile gets the attributes and the event;
 * not found -> an alias-only profile (alias name = the email, label `email`) is created and gets them.
 */
export const mapExtoleEvent = guardMapper((value: unknown, options: ExtoleOptions): MapResult => {
  const event = readExtoleEvent(value);
  // Checked before identity: a reward that would not be sent anyway is not worth a dead-letter entry.
  if (event.kind === 'reward' && !options.rewardStates.includes(event.state)) {
    return skip(EXTOLE_SKIP_REASONS.rewardStateDisabled);
  }
  const who = extoleUser(event.person, options);
  if ('user' in who) return ops(...opsFor(event, who.user, false));
  // Built now, so bad data is dead-lettered before any look-up is spent on it.
  opsFor(event, { email: who.lookup }, false);
  return flow(lookUpByEmail(EXTOLE_LOOKUP_FLOW, who.lookup, (user) => opsFor(event, user, false), (alias) => opsFor(event, alias, true)));
});
