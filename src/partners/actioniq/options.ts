/** ActionIQ's options. Validated and defaulted by src/config; the mappers read them as given. */

export interface ActionIqOptions {
  /** Prefix of the membership attribute: `<prefix>_<audience_id>_<split_id>`. Default `AIQ`. */
  readonly attributePrefix: string;
}

export const ACTIONIQ_DEFAULTS: ActionIqOptions = { attributePrefix: 'AIQ' };

/** JSON Schema of `partners.actioniq` (composed into the configuration's schema by src/config). */
export const ACTIONIQ_OPTIONS_SCHEMA = {
  description: 'ActionIQ.',
  type: 'object',
  additionalProperties: false,
  properties: {
    attributePrefix: {
      description: 'Prefix of the audience membership attribute `<prefix>_<audience_id>_<split_id>`.',
      type: 'string',
      minLength: 1,
      maxLength: 64,
      pattern: '^(?!\\$)',
      patternErrorMessage: 'must not start with "$" (Braze reserves those attribute names)',
      default: ACTIONIQ_DEFAULTS.attributePrefix,
    },
  },
} as const;
