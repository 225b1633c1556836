/**
 * Operations: the unit of work a mapper produces and a sink delivers.
 * Braze's snake_case appears only inside Braze-shaped payload fields (attributes, properties).
 */

/** How a Braze profile is addressed. Exactly one primary identifier (or a secondary one when no primary exists). */
export type BrazeUserRef =
  | { readonly external_id: string }
  | { readonly braze_id: string }
  | { readonly user_alias: { readonly alias_name: string; readonly alias_label: string } }
  | { readonly email: string }
  | { readonly phone: string };

/** A JSON value as Braze accepts it in attributes and properties. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Set (merge) custom and standard attributes on one profile: one object of /users/track `attributes`. */
export interface TrackAttributesOp {
  readonly kind: 'track.attributes';
  readonly user: BrazeUserRef;
  readonly attributes: JsonObject;
  /** Omitted: Braze's default for the identifier. `false` with a user_alias creates an alias-only profile. */
  readonly updateExistingOnly?: boolean;
}

/** Record one custom event: one object of /users/track `events`. */
export interface TrackEventOp {
  readonly kind: 'track.event';
  readonly user: BrazeUserRef;
  readonly name: string;
  /** ISO-8601 instant. */
  readonly time: string;
  readonly properties?: JsonObject;
  readonly updateExistingOnly?: boolean;
}

/** Record one purchase: one object of /users/track `purchases`. */
export interface TrackPurchaseOp {
  readonly kind: 'track.purchase';
  readonly user: BrazeUserRef;
  readonly productId: string;
  readonly currency: string;
  readonly price: number;
  readonly quantity?: number;
  readonly time: string;
  readonly properties?: JsonObject;
  readonly updateExistingOnly?: boolean;
}

export type TrackOp = TrackAttributesOp | TrackEventOp | TrackPurchaseOp;
export type Op = TrackOp;

/** What a pure mapper returns for one decoded record. Mappers never throw on bad data. */
export type MapResult =
  | { readonly type: 'ops'; readonly ops: readonly Op[] }
  /** Nothing to do for this record, on purpose (for example a reward state switched off). Counted, not dead-lettered. */
  | { readonly type: 'skip'; readonly reason: string }
  /** The record cannot be mapped: it is dead-lettered with this stable code and a detail free of personal data. */
  | { readonly type: 'invalid'; readonly code: string; readonly detail: string };

export const ops = (...list: Op[]): MapResult => ({ type: 'ops', ops: list });
export const skip = (reason: string): MapResult => ({ type: 'skip', reason });
export const invalid = (code: string, detail: string): MapResult => ({ type: 'invalid', code, detail });

/**
 * The canonical per-user ordering key of a profile reference, e.g. `external_id:u1`,
 * `alias:email:a@b.com`. Ops with equal keys are delivered in record order.
 */
export function userKeyOf(user: BrazeUserRef): string {
  if ('external_id' in user) return `external_id:${user.external_id}`;
  if ('braze_id' in user) return `braze_id:${user.braze_id}`;
  if ('user_alias' in user) return `alias:${user.user_alias.alias_label}:${user.user_alias.alias_name}`;
  if ('email' in user) return `email:${user.email.toLowerCase()}`;
  return `phone:${user.phone}`;
}
