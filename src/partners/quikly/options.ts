/** Quikly's options. Validated and defaulted by src/config; the mappers read them as given. */

export interface QuiklyDoubleOptInOptions {
  /**
   * `event`: send `eventName`, which starts the customer's double opt-in workflow in Braze (the Quikly
   * document's way). `braze-logic`: `/v2/subscription/status/set` with `use_double_opt_in_logic: true`, so
   * Braze sends its own opt-in prompt.
   */
  readonly mode: 'event' | 'braze-logic';
  readonly eventName: string;
  /** How long the state is watched before the outcome is `failed` with reason `opt_in_deadline`. */
  readonly deadlineMs: number;
}

export interface QuiklyOptions {
  /**
   * `delayed-set`: a profile tributary created is subscribed `subscriptionDelayMs` later, the wait handed to
   * Kafka. `track-subscription-groups`: the profile is created and subscribed in one /users/track call.
   */
  readonly subscriptionMode: 'delayed-set' | 'track-subscription-groups';
  readonly subscriptionDelayMs: number;
  readonly doubleOptIn: QuiklyDoubleOptInOptions;
  /** A boolean custom attribute set to true on a profile that took part; null: none. */
  readonly participationAttribute: string | null;
  /** A custom event logged on a profile that took part (and was created for it); null: none. */
  readonly participationEvent: string | null;
  /** How decisions are written to `topics.quiklyCredits`: Avro through the registry, or JSON. */
  readonly creditsFormat: 'avro' | 'json';
}

export const QUIKLY_DEFAULTS: QuiklyOptions = {
  subscriptionMode: 'delayed-set',
  subscriptionDelayMs: 120_000,
  doubleOptIn: { mode: 'event', eventName: 'quikly_sms_double_opt_in', deadlineMs: 86_400_000 },
  participationAttribute: null,
  participationEvent: null,
  creditsFormat: 'avro',
};

/** JSON Schema of `partners.quikly` (composed into the configuration's schema by src/config). */
export const QUIKLY_OPTIONS_SCHEMA = {
  description: 'Quikly.',
  type: 'object',
  additionalProperties: false,
  properties: {
    subscriptionMode: {
      description: 'How an SMS acquisition for a profile tributary creates is subscribed. "delayed-set": create it through /users/track, then /v2/subscription/status/set after subscriptionDelayMs (Braze asks for about two minutes), the wait handed to the topic topics.quiklyDelayed so it survives restarts. "track-subscription-groups": create and subscribe in one /users/track call (subscription_groups on the attributes object), with no wait.',
      enum: ['delayed-set', 'track-subscription-groups'],
      default: QUIKLY_DEFAULTS.subscriptionMode,
    },
    subscriptionDelayMs: {
      description: 'With "delayed-set": the wait between creating a profile and subscribing its phone.',
      type: 'integer',
      minimum: 0,
      default: QUIKLY_DEFAULTS.subscriptionDelayMs,
    },
    doubleOptIn: {
      description: 'SMS acquisitions with double_opt_in: true.',
      type: 'object',
      additionalProperties: false,
      properties: {
        mode: {
          description: '"event": send eventName, which starts the double opt-in workflow configured in Braze. "braze-logic": subscribe with use_double_opt_in_logic: true, so Braze sends its own prompt. Either way the state is then watched until the phone is subscribed (credited) or deadlineMs passes (failed, opt_in_deadline).',
          enum: ['event', 'braze-logic'],
          default: QUIKLY_DEFAULTS.doubleOptIn.mode,
        },
        eventName: {
          description: 'The custom event that starts the double opt-in workflow (mode "event").',
          type: 'string',
          minLength: 1,
          maxLength: 255,
          default: QUIKLY_DEFAULTS.doubleOptIn.eventName,
        },
        deadlineMs: {
          description: 'How long the state is watched before the outcome is failed with reason opt_in_deadline.',
          type: 'integer',
          minimum: 1,
          default: QUIKLY_DEFAULTS.doubleOptIn.deadlineMs,
        },
      },
      default: { ...QUIKLY_DEFAULTS.doubleOptIn },
    },
    participationAttribute: {
      description: 'A boolean custom attribute set to true on the profile of a participant; null for none.',
      type: ['string', 'null'],
      minLength: 1,
      maxLength: 255,
      pattern: '^(?!\\$)',
      patternErrorMessage: 'must not start with "$" (Braze reserves those attribute names)',
      default: null,
    },
    participationEvent: {
      description: 'A custom event logged on a participant\'s profile (email acquisitions: on profiles tributary creates); null for none.',
      type: ['string', 'null'],
      minLength: 1,
      maxLength: 255,
      default: null,
    },
    creditsFormat: {
      description: 'How decisions are written to topics.quiklyCredits: "avro" (Confluent Avro, schema schemas/quikly.credits.avsc registered under <topic>-value) or "json".',
      enum: ['avro', 'json'],
      default: QUIKLY_DEFAULTS.creditsFormat,
    },
  },
} as const;
