/**
 * What the `braze.events` mapper reads of `outbound` in the configuration: the routes and Movable Ink's
 * identifier and personal-data rules. Validated and defaulted by src/config.
 */

export type OutboundDestination = 'movableInk' | 'quiklyWebhook';

export interface OutboundRoute {
  /** The Braze event name, exactly as Braze sends it ("Product Viewed"). */
  readonly event: string;
  readonly to: OutboundDestination;
  /** Movable Ink: a track call (default) or an identify call. */
  readonly type?: 'track' | 'identify';
  /** Quikly: the activation scope id sent as `q_scope`. */
  readonly qScope?: string;
  /** Quikly: the event id sent as `event`. */
  readonly eventId?: string;
  /** Movable Ink: keep property values that look like an email address or a phone number. */
  readonly allowContactValues?: boolean;
}

export interface OutboundMovableInkMapOptions {
  /** A property holding the user id Movable Ink knows (`mi_u`) instead of the external id; null: the external id. */
  readonly userIdProperty: string | null;
  /** Events without a user id are skipped instead of sent with an anonymous id. */
  readonly knownUsersOnly: boolean;
  /** Properties removed before sending (compared case-insensitively). */
  readonly stripProperties: readonly string[];
}

export interface OutboundMapOptions {
  readonly routes: readonly OutboundRoute[];
  readonly movableInk: OutboundMovableInkMapOptions;
}

export const DEFAULT_STRIP_PROPERTIES = ['email', 'phone', 'first_name', 'last_name', 'dob', 'date_of_birth', 'birthdate', 'address'] as const;

export const OUTBOUND_MAP_DEFAULTS: OutboundMapOptions = {
  routes: [],
  movableInk: { userIdProperty: null, knownUsersOnly: false, stripProperties: [...DEFAULT_STRIP_PROPERTIES] },
};
