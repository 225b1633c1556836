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

/**
 * Find the profiles that hold an email (/users/export/ids by `email_address`). Answered with an
 * {@link IdentityAnswer}; the identity resolver may answer from its cache without asking Braze.
 */
export interface IdentityLookupOp {
  readonly kind: 'identity.lookup';
  /** Normalised (trimmed, lower-cased). */
  readonly email: string;
}

/** What a look-up found. `user` is how to address the chosen profile (see docs/pipeline.md for the choice). */
export type IdentityAnswer =
  | { readonly found: true; readonly user: BrazeUserRef; readonly profiles: number }
  | { readonly found: false };

/** Who a subscription op is about: one identifier of one kind. */
export type SubscriberRef = { readonly external_id: string } | { readonly email: string } | { readonly phone: string };

/** Read one subscriber's state in one group (GET /subscription/status/get). Answered with a {@link SubscriptionStateAnswer}. */
export interface SubscriptionGetOp {
  readonly kind: 'subscription.get';
  readonly groupId: string;
  readonly subscriber: SubscriberRef;
}

export interface SubscriptionStateAnswer {
  readonly state: 'subscribed' | 'unsubscribed' | 'unknown';
}

/** Set one subscriber's state in one group (POST /v2/subscription/status/set, batched). */
export interface SubscriptionSetOp {
  readonly kind: 'subscription.set';
  readonly groupId: string;
  readonly state: 'subscribed' | 'unsubscribed';
  readonly subscriber: SubscriberRef;
  /** Braze sends its SMS double opt-in prompt instead of subscribing directly. */
  readonly useDoubleOptIn?: boolean;
}

/**
 * Produce one record to a topic tributary owns (a hand-off: a delayed step, a decision for a partner).
 * Done once Kafka acknowledged it from all in-sync replicas. The topic is named by its key under `topics`
 * in the configuration, so mappers stay free of deployment names.
 */
export interface KafkaProduceOp {
  readonly kind: 'kafka.produce';
  readonly topicKey: string;
  readonly key: string;
  readonly value: JsonObject;
  /** A field of `value` set to the moment of sending, in epoch ms (mappers read no clock). */
  readonly stampField?: string;
}

/** Wait until an instant (a step that is due later). Answered with a {@link TimerAnswer}. */
export interface TimerWaitOp {
  readonly kind: 'timer.wait';
  readonly untilMs: number;
}

export interface TimerAnswer {
  /** When the wait ended: the flow's notion of "now". */
  readonly firedAtMs: number;
}

/**
 * One call of Movable Ink's Customer Data API (`POST <outbound.movableInk.url>`): a track or an identify
 * (snake_case event, epoch-ms timestamp). `person` orders a person's calls (their anonymous id, else their
 * user id).
 */
export interface MovableInkOp {
  readonly kind: 'movable-ink.track' | 'movable-ink.identify';
  readonly person: string;
  /** The user id Movable Ink knows the person by, when the event carries one. */
  readonly userId?: string;
  /** md5 hex of the normalised email, when the event has an email. */
  readonly anonymousId?: string;
  /** The body without its identifiers (`user_id`, `anonymous_id`), which the sink adds when it sends. */
  readonly body: JsonObject;
  /**
   * An identify sent only when Movable Ink has not been given this user id for this anonymous id yet;
   * answered `{sent: false}` without a request otherwise.
   */
  readonly onlyIfNew?: boolean;
}

/** What a Movable Ink identify answered: whether a request went out (the pairing is new). */
export interface MovableInkAnswer {
  readonly sent: boolean;
}

/** One call of the Quikly webhook: `{"q_scope", "event", "email"}`. */
export interface QuiklyWebhookOp {
  readonly kind: 'quikly.webhook';
  readonly person: string;
  readonly qScope: string;
  readonly eventId: string;
  readonly email: string;
}

export type PartnerOp = MovableInkOp | QuiklyWebhookOp;

export type Op = TrackOp | IdentityLookupOp | SubscriptionGetOp | SubscriptionSetOp | KafkaProduceOp | TimerWaitOp | PartnerOp;
export type OpKind = Op['kind'];

/** What a delivered op answered: data for the next step of a flow. Writes answer nothing. */
export type OpAnswer = IdentityAnswer | SubscriptionStateAnswer | TimerAnswer | MovableInkAnswer | undefined;

/**
 * One step of a flow: ops to run (in order, under the flow's user key) and what to do with their answers.
 * A step without `then` ends the flow once its ops are delivered.
 */
export type FlowStep =
  | {
      readonly type: 'ops';
      readonly ops: readonly Op[];
      /** Called with the answers of `ops`, in the same order, once every one of them was delivered. */
      readonly then?: (answers: readonly OpAnswer[]) => FlowStep;
      /** When these ops are delivered, the profile `user` holds `email` (remembered by the identity resolver). */
      readonly establishes?: { readonly email: string; readonly user: BrazeUserRef };
      /**
       * When an op of this step is dead-lettered: a last step to run before the record is dead-lettered with
       * that op's reason (for example, telling the partner the outcome failed).
       */
      readonly otherwise?: (failure: { readonly code: string; readonly detail: string }) => FlowStep;
    }
  | { readonly type: 'done' }
  /** The flow cannot go on with this data: the record is dead-lettered with this code. */
  | { readonly type: 'invalid'; readonly code: string; readonly detail: string };

/**
 * A small pure state machine for a record whose later ops depend on earlier answers (a look-up found a
 * profile or not). Every op of the flow is scheduled under `key`, so a user's flows and ops stay in record
 * order across sinks.
 */
export interface Flow {
  /** Names the flow in metrics and logs, e.g. `extole.lookup-by-email`. */
  readonly name: string;
  /** The per-user ordering key the whole flow runs under (see userKeyOf). */
  readonly key: string;
  readonly start: FlowStep;
}

/** What a pure mapper returns for one decoded record. Mappers never throw on bad data. */
export type MapResult =
  | { readonly type: 'ops'; readonly ops: readonly Op[] }
  /** Ops that depend on answers from Braze: run step by step; the record is done when the flow ends. */
  | { readonly type: 'flow'; readonly flow: Flow }
  /** Nothing to do for this record, on purpose (for example a reward state switched off). Counted, not dead-lettered. */
  | { readonly type: 'skip'; readonly reason: string }
  /** The record cannot be mapped: it is dead-lettered with this stable code and a detail free of personal data. */
  | { readonly type: 'invalid'; readonly code: string; readonly detail: string };

export const ops = (...list: Op[]): MapResult => ({ type: 'ops', ops: list });
export const flow = (f: Flow): MapResult => ({ type: 'flow', flow: f });
export const skip = (reason: string): MapResult => ({ type: 'skip', reason });
export const invalid = (code: string, detail: string): MapResult => ({ type: 'invalid', code, detail });

/** The user key an op is ordered under when it is not part of a flow. */
export function opKeyOf(op: Op): string {
  switch (op.kind) {
    case 'identity.lookup':
      return `email:${op.email}`;
    case 'subscription.get':
    case 'subscription.set':
      return userKeyOf(op.subscriber);
    case 'kafka.produce':
      return `kafka:${op.key}`;
    case 'timer.wait':
      return 'timer';
    case 'movable-ink.track':
    case 'movable-ink.identify':
    case 'quikly.webhook':
      return `person:${op.person}`;
    default:
      return userKeyOf(op.user);
  }
}

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
