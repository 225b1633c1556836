/** Komo's options. Validated and defaulted by src/config; the mapper reads them as given. */

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

export const KOMO_DEFAULTS: KomoOptions = { hubs: {} };

/** Braze custom attribute names: at most 255 characters; names starting with `$` are reserved. */
const BRAZE_ATTRIBUTE_NAME = {
  description: 'Braze custom attribute name the Komo field is written to.',
  type: 'string',
  minLength: 1,
  maxLength: 255,
  pattern: '^(?!\\$)',
  patternErrorMessage: 'must not start with "$" (Braze reserves those attribute names)',
} as const;

/** JSON Schema of `partners.komo` (composed into the configuration's schema by src/config). */
export const KOMO_OPTIONS_SCHEMA = {
  description: 'Komo.',
  type: 'object',
  additionalProperties: false,
  properties: {
    hubs: {
      description: 'Per Komo hub id: how its submissions find the Braze user, and which fields they write. Submissions for hubs not listed are dead-lettered.',
      type: 'object',
      propertyNames: { minLength: 1 },
      additionalProperties: {
        description: 'One Komo hub.',
        type: 'object',
        additionalProperties: false,
        properties: {
          userMatch: {
            description: 'How a submission\'s user is found: by braze_id, by external_id, or by an email or phone alias (creating an alias-only profile when absent).',
            enum: ['braze_id', 'external_id', 'email_alias', 'phone_alias'],
          },
          fields: {
            description: 'Komo field name -> Braze attribute name. Only these fields are written.',
            type: 'object',
            minProperties: 1,
            propertyNames: { minLength: 1 },
            additionalProperties: BRAZE_ATTRIBUTE_NAME,
          },
        },
        required: ['userMatch', 'fields'],
      },
      default: {},
    },
  },
} as const;
