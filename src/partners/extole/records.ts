import { EXTOLE_REWARD_STATES, type ExtoleRewardState } from './options.js';
import { checkStringLength, requireEmail } from '../common/braze-rules.js';
import {
  readEnum, readOptionalNumber, readOptionalString, readProps, readRecord, readString, readTimestamp,
  type InputRecord, type Props,
} from '../common/readers.js';

export const EXTOLE_EVENT_KINDS = ['program_event', 'subscription', 'reward'] as const;
export type ExtoleEventKind = (typeof EXTOLE_EVENT_KINDS)[number];

export const EXTOLE_SUBSCRIPTION_STATUSES = ['subscribed', 'unsubscribed'] as const;
export type ExtoleSubscriptionStatus = (typeof EXTOLE_SUBSCRIPTION_STATUSES)[number];

/** Identity and profile fields, present on every kind. */
export interface ExtolePerson {
  readonly partnerUserId?: string;
  /** Normalised (trimmed, lower-cased) and syntax-checked. */
  readonly email?: string;
  readonly firstName?: string;
  readonly lastName?: string;
}

interface ExtoleEventBase {
  readonly eventId: string;
  /** ISO-8601. */
  readonly occurredAt: string;
  readonly person: ExtolePerson;
}

export interface ExtoleProgramEvent extends ExtoleEventBase {
  readonly kind: 'program_event';
  /** `extole_created_share_link`, `extole_shared` or the program's outcome name. */
  readonly name: string;
  readonly program?: string;
  readonly funnel?: string;
  readonly shareChannel?: string;
  readonly shareLink?: string;
  /** Program-specific extras. */
  readonly properties: Props;
}

export interface ExtoleSubscription extends ExtoleEventBase {
  readonly kind: 'subscription';
  readonly status: ExtoleSubscriptionStatus;
  readonly subscriptionGroupId?: string;
  readonly listType?: string;
}

export interface ExtoleReward extends ExtoleEventBase {
  readonly kind: 'reward';
  readonly state: ExtoleRewardState;
  readonly faceValue?: number;
  readonly faceValueType?: string;
  readonly couponCode?: string;
}

/** One record of `extole.events` (topics.md), narrowed by `kind`. Fields of other kinds are ignored. */
export type ExtoleEventRecord = ExtoleProgramEvent | ExtoleSubscription | ExtoleReward;

/** An optional string that is written to Braze as a value, so it must fit Braze's string limit. */
function readOptionalValue(record: InputRecord, field: string): string | undefined {
  const value = readOptionalString(record, field);
  return value === undefined ? undefined : checkStringLength(value, field);
}

function readPerson(record: InputRecord): ExtolePerson {
  const email = readOptionalString(record, 'email');
  return {
    partnerUserId: readOptionalString(record, 'partner_user_id'),
    email: email === undefined ? undefined : requireEmail(email, 'email'),
    firstName: readOptionalValue(record, 'first_name'),
    lastName: readOptionalValue(record, 'last_name'),
  };
}

export function readExtoleEvent(value: unknown): ExtoleEventRecord {
  const record = readRecord(value);
  const base = {
    eventId: readString(record, 'event_id'),
    occurredAt: readTimestamp(record, 'occurred_at'),
  };
  const kind = readEnum(record, 'kind', EXTOLE_EVENT_KINDS);
  switch (kind) {
    case 'program_event':
      return {
        ...base,
        kind,
        name: readString(record, 'name'),
        program: readOptionalValue(record, 'program'),
        funnel: readOptionalValue(record, 'funnel'),
        shareChannel: readOptionalValue(record, 'share_channel'),
        shareLink: readOptionalValue(record, 'share_link'),
        properties: readProps(record, 'properties'),
        person: readPerson(record),
      };
    case 'subscription':
      return {
        ...base,
        kind,
        status: readEnum(record, 'name', EXTOLE_SUBSCRIPTION_STATUSES),
        subscriptionGroupId: readOptionalString(record, 'subscription_group_id'),
        listType: readOptionalValue(record, 'list_type'),
        person: readPerson(record),
      };
    case 'reward':
      return {
        ...base,
        kind,
        state: readEnum(record, 'name', EXTOLE_REWARD_STATES),
        faceValue: readOptionalNumber(record, 'face_value'),
        faceValueType: readOptionalValue(record, 'face_value_type'),
        couponCode: readOptionalValue(record, 'coupon_code'),
        person: readPerson(record),
      };
  }
}
