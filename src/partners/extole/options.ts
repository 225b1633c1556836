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

export const EXTOLE_DEFAULTS: ExtoleOptions = { externalIdFrom: 'partner_user_id', withoutExternalId: 'lookup', rewardStates: ['FULFILLED'] };

/** JSON Schema of `partners.extole` (composed into the configuration's schema by src/config). */
export const EXTOLE_OPTIONS_SCHEMA = {
  description: 'Extole.',
  type: 'object',
  additionalProperties: false,
  properties: {
    externalIdFrom: {
      description: 'Which Extole field becomes the Braze external_id.',
      enum: ['partner_user_id', 'email'],
      default: EXTOLE_DEFAULTS.externalIdFrom,
    },
    withoutExternalId: {
      description: 'A participant without that external id but with an email: "lookup" looks the email up in Braze (/users/export/ids) and updates the profile found, or creates an alias-only profile (alias name = the email, label "email"); "email-identifier" addresses the profile by Braze\'s email identifier with no look-up.',
      enum: ['lookup', 'email-identifier'],
      default: EXTOLE_DEFAULTS.withoutExternalId,
    },
    rewardStates: {
      description: 'Reward states forwarded to Braze as `extole_reward_<state>` events; others are skipped. [] forwards none.',
      type: 'array',
      uniqueItems: true,
      items: { enum: [...EXTOLE_REWARD_STATES] },
      default: [...EXTOLE_DEFAULTS.rewardStates],
    },
  },
} as const;
