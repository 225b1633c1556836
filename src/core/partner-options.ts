/** Options each partner mapper takes. Validated and defaulted by src/config; the mappers read them as given. */

export const EXTOLE_REWARD_STATES = ['FULFILLED', 'EARNED', 'SENT', 'REDEEMED', 'FAILED', 'CANCELED', 'REVOKED'] as const;
export type ExtoleRewardState = (typeof EXTOLE_REWARD_STATES)[number];

export interface ExtoleOptions {
  /** Which Extole field becomes the Braze external_id. Default `partner_user_id`. */
  readonly externalIdFrom: 'partner_user_id' | 'email';
  /**
   * A participant without that external id but with an email: `lookup` (default) looks the email up in Braze
   * and updates the profile found or creates an alias-only one; `email-identifier` addresses the profile by
   * Braze's `email` identifier without a look-up.
   */
  readonly withoutExternalId: 'lookup' | 'email-identifier';
  /** Reward states forwarded to Braze. Default `['FULFILLED']`. */
  readonly rewardStates: readonly ExtoleRewardState[];
}

export type KomoUserMatch = 'braze_id' | 'external_id' | 'email_alias' | 'phone_alias';

export interface KomoHubOptions {
  /** How a submission's user is found in Braze. */
  readonly userMatch: KomoUserMatch;
  /** Komo field name -> Braze attribute name. Only these fields are sent. */
  readonly fields: Readonly<Record<string, string>>;
}

export interface KomoOptions {
  /** Per hub id. A submission for a hub that is not listed is dead-lettered. */
  readonly hubs: Readonly<Record<string, KomoHubOptions>>;
}

export interface ActionIqOptions {
  /** Prefix of the membership attribute: `<prefix>_<audience_id>_<split_id>`. Default `AIQ`. */
  readonly attributePrefix: string;
}

export interface PartnerOptions {
  readonly actioniq: ActionIqOptions;
  readonly extole: ExtoleOptions;
  readonly komo: KomoOptions;
}
