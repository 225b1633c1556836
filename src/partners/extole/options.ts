/** Extole's options. Validated and defaulted by src/config; the mapper reads them as given. */

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
