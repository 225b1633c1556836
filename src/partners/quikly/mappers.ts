import {
  flow, ops, skip, type BrazeUserRef, type FlowStep, type IdentityAnswer, type JsonObject, type JsonValue, type KafkaProduceOp,
  type MapResult, type Op, type OpAnswer, type SubscriptionStateAnswer, type TimerAnswer,
} from '../../core/ops.js';
import { checkAttributeName, isSubscriptionGroupId, requireAttributeValue, requireEmail, requirePhone } from '../common/braze-rules.js';
import { emailAliasUser, externalIdUser } from '../common/identifiers.js';
import { guardMapper, MappingError, MAPPING_ERROR_CODES as CODES } from '../common/mapping-error.js';
import { nameForDetail, readRecord } from '../common/readers.js';
import type { QuiklyOptions } from './options.js';
import { readActivationId, readQuiklyActivation, type QuiklyActivation } from './records.js';

/** The decisions an SMS acquisition ends in, on `quikly.credits`. */
export type QuiklyOutcome = 'credited' | 'already_subscribed' | 'pending_double_opt_in' | 'failed';

/** Codes of Quikly records that cannot be handled; each is also the `reason` of a `failed` decision. */
export const QUIKLY_CODES = {
  missingEmail: 'missing_email',
  missingPhone: 'missing_phone',
  missingSubscriptionGroup: 'missing_subscription_group_id',
  invalidSubscriptionGroup: 'invalid_subscription_group_id',
  optInDeadline: 'opt_in_deadline',
  invalidDelayedStep: 'invalid_delayed_step',
} as const;

export const QUIKLY_SKIP_REASONS = { nothingToWrite: 'nothing_to_write' } as const;

export const QUIKLY_FLOWS = {
  email: 'quikly.email-acquisition',
  sms: 'quikly.sms-acquisition',
  attributes: 'quikly.attributes',
  delayed: 'quikly.delayed-step',
} as const;

/** The first wait between two looks at a pending double opt-in; it doubles up to WATCH_MAX_MS. */
const WATCH_FIRST_MS = 10_000;
const WATCH_MAX_MS = 15 * 60_000;

/** A step handed to `topics.quiklyDelayed`, due `delay_ms` after `handed_off_at` (stamped when produced). */
export interface DelayedStep {
  readonly step: 'subscribe' | 'watch';
  /** The user key the original flow ran under: the delayed step keeps the user's order. */
  readonly key: string;
  readonly delay_ms: number;
  readonly activation_id: string;
  readonly phone: string;
  readonly subscription_group_id: string;
  readonly double_opt_in: boolean;
  /** Where the double opt-in watch started, for its deadline; absent on the first watch (= handed_off_at). */
  readonly watch_started_at?: number;
}

interface SmsContext {
  readonly a: QuiklyActivation;
  readonly key: string;
  readonly phone: string;
  readonly groupId: string;
  readonly options: QuiklyOptions;
}

/** The decision record for `quikly.credits`, keyed by activation id; `decided_at` is set when it is produced. */
export function creditOp(activationId: string, phone: string, outcome: QuiklyOutcome, reason?: string): KafkaProduceOp {
  return {
    kind: 'kafka.produce',
    topicKey: 'quiklyCredits',
    key: activationId,
    value: { activation_id: activationId, phone, outcome, reason: reason ?? null },
    stampField: 'decided_at',
  };
}

function delayedOp(step: DelayedStep): KafkaProduceOp {
  return { kind: 'kafka.produce', topicKey: 'quiklyDelayed', key: step.key, value: { ...step }, stampField: 'handed_off_at' };
}

/** Extra attributes of the record, checked as Braze takes them, plus the participation marker. */
function extraAttributes(a: QuiklyActivation, options: QuiklyOptions): JsonObject {
  const out: JsonObject = {};
  for (const name of Object.keys(a.attributes)) {
    out[checkAttributeName(name, 'attributes')] = requireAttributeValue(name, a.attributes[name]!, `attributes.${nameForDetail(name)}`);
  }
  if (options.participationAttribute !== null) out[options.participationAttribute] = true;
  return out;
}

function participationEvent(a: QuiklyActivation, user: BrazeUserRef, options: QuiklyOptions): Op[] {
  if (options.participationEvent === null) return [];
  const properties: { [k: string]: JsonValue } = { activation_id: a.activationId };
  if (a.qScope !== undefined) properties.q_scope = a.qScope;
  return [{ kind: 'track.event', user, name: options.participationEvent, time: a.occurredAt, properties }];
}

function attributesOp(user: BrazeUserRef, attributes: JsonObject, creates = false): Op[] {
  if (creates) return [{ kind: 'track.attributes', user, attributes, updateExistingOnly: false }];
  return Object.keys(attributes).length > 0 ? [{ kind: 'track.attributes', user, attributes }] : [];
}

const opsStep = (list: readonly Op[], then?: (answers: readonly OpAnswer[]) => FlowStep, extra: Partial<Extract<FlowStep, { type: 'ops' }>> = {}): FlowStep => ({
  type: 'ops',
  ops: list,
  ...(then ? { then } : {}),
  ...extra,
});

// ---------------------------------------------------------------------------------------------
// email_acquisition and attributes

/** The look-up flow: found -> `onFound`; not found -> create the alias-only profile with `create`. */
function emailFlow(name: string, email: string, onFound: (user: BrazeUserRef) => Op[], create: (alias: BrazeUserRef) => Op[]): MapResult {
  const alias = emailAliasUser(email);
  return flow({
    name,
    key: `email:${email}`,
    start: opsStep([{ kind: 'identity.lookup', email }], (answers) => {
      const answer = answers[0] as IdentityAnswer | undefined;
      if (answer?.found) return opsStep(onFound(answer.user));
      return opsStep(create(alias), undefined, { establishes: { email, user: alias } });
    }),
  });
}

function mapEmailAcquisition(a: QuiklyActivation, options: QuiklyOptions): MapResult {
  if (a.email === undefined) throw new MappingError(QUIKLY_CODES.missingEmail, 'an email acquisition needs field email');
  const email = requireEmail(a.email, 'email');
  const extras = extraAttributes(a, options);
  if (a.externalId !== undefined) {
    const user = externalIdUser(a.externalId, 'external_id');
    const list = attributesOp(user, extras);
    return list.length > 0 ? ops(...list) : skip(QUIKLY_SKIP_REASONS.nothingToWrite);
  }
  return emailFlow(
    QUIKLY_FLOWS.email,
    email,
    // Braze knows the user: nothing is created, only the participation marker and extras are set.
    (user) => attributesOp(user, extras),
    (alias) => [...attributesOp(alias, { email, ...extras }, true), ...participationEvent(a, alias, options)],
  );
}

function mapAttributes(a: QuiklyActivation, options: QuiklyOptions): MapResult {
  const extras = extraAttributes(a, options);
  if (Object.keys(extras).length === 0) return skip(QUIKLY_SKIP_REASONS.nothingToWrite);
  if (a.externalId !== undefined) return ops({ kind: 'track.attributes', user: externalIdUser(a.externalId, 'external_id'), attributes: extras });
  if (a.email === undefined) throw new MappingError(CODES.noIdentifier, 'neither external_id nor email is present');
  const email = requireEmail(a.email, 'email');
  return emailFlow(QUIKLY_FLOWS.attributes, email, (user) => attributesOp(user, extras), (alias) => attributesOp(alias, { email, ...extras }, true));
}

// ---------------------------------------------------------------------------------------------
// sms_acquisition

const failedOnError = (activationId: string, phone: string) => (failure: { code: string }): FlowStep =>
  opsStep([creditOp(activationId, phone, 'failed', failure.code)]);

/** Subscribes the phone now (or starts the double opt-in), then decides. */
function subscribeNow(c: SmsContext, user: BrazeUserRef): FlowStep {
  const { a, phone, groupId, options } = c;
  const otherwise = failedOnError(a.activationId, phone);
  if (!a.doubleOptIn) {
    return opsStep([{ kind: 'subscription.set', groupId, state: 'subscribed', subscriber: { phone } }], () => opsStep([creditOp(a.activationId, phone, 'credited')]), { otherwise });
  }
  const start: Op = options.doubleOptIn.mode === 'event'
    ? { kind: 'track.event', user, name: options.doubleOptIn.eventName, time: a.occurredAt, properties: { activation_id: a.activationId, subscription_group_id: groupId } }
    : { kind: 'subscription.set', groupId, state: 'subscribed', subscriber: { phone }, useDoubleOptIn: true };
  return opsStep([start], () => pendingOptIn(c.key, a.activationId, phone, groupId, options), { otherwise });
}

/** Tells Quikly the opt-in is pending and hands the watching to Kafka. */
function pendingOptIn(key: string, activationId: string, phone: string, groupId: string, options: QuiklyOptions, startedAt?: number, delayMs?: number): FlowStep {
  const first = Math.min(WATCH_FIRST_MS, Math.max(100, Math.floor(options.doubleOptIn.deadlineMs / 4)));
  const watch: DelayedStep = {
    step: 'watch', key, delay_ms: delayMs ?? first, activation_id: activationId, phone, subscription_group_id: groupId, double_opt_in: true,
    ...(startedAt === undefined ? {} : { watch_started_at: startedAt }),
  };
  return opsStep(startedAt === undefined ? [creditOp(activationId, phone, 'pending_double_opt_in'), delayedOp(watch)] : [delayedOp(watch)]);
}

function mapSmsAcquisition(a: QuiklyActivation, options: QuiklyOptions): MapResult {
  const given = a.phone ?? '';
  // Bad input ends in a failed decision as well as a dead letter, so Quikly hears about every activation.
  const reject = (code: string, detail: string): MapResult =>
    flow({ name: QUIKLY_FLOWS.sms, key: `activation:${a.activationId}`, start: opsStep([creditOp(a.activationId, given, 'failed', code)], () => ({ type: 'invalid', code, detail })) });
  if (a.phone === undefined) return reject(QUIKLY_CODES.missingPhone, 'an SMS acquisition needs field phone');
  let phone: string;
  try {
    phone = requirePhone(a.phone, 'phone');
  } catch (err) {
    return reject((err as MappingError).code, (err as MappingError).message);
  }
  if (a.subscriptionGroupId === undefined) return reject(QUIKLY_CODES.missingSubscriptionGroup, 'an SMS acquisition needs field subscription_group_id');
  if (!isSubscriptionGroupId(a.subscriptionGroupId)) return reject(QUIKLY_CODES.invalidSubscriptionGroup, 'field subscription_group_id is not a subscription group UUID');
  if (a.externalId === undefined && a.email === undefined) return reject(QUIKLY_CODES.missingEmail, 'an SMS acquisition needs field email (or external_id)');
  let email: string | undefined;
  let extras: JsonObject;
  try {
    email = a.email === undefined ? undefined : requireEmail(a.email, 'email');
    extras = extraAttributes(a, options);
  } catch (err) {
    if (err instanceof MappingError) return reject(err.code, err.message);
    throw err;
  }
  const groupId = a.subscriptionGroupId;
  const key = a.externalId !== undefined ? `external_id:${a.externalId}` : `email:${email}`;
  const c: SmsContext = { a, key, phone, groupId, options };
  const otherwise = failedOnError(a.activationId, phone);

  const resolved = (user: BrazeUserRef): Op[] => attributesOp(user, { phone, ...extras });
  const created = (alias: BrazeUserRef): FlowStep => {
    const inOneCall = options.subscriptionMode === 'track-subscription-groups' && !a.doubleOptIn;
    const attributes: JsonObject = { email: email!, phone, ...extras };
    if (inOneCall) attributes.subscription_groups = [{ subscription_group_id: groupId, subscription_state: 'subscribed' }];
    const create = [...attributesOp(alias, attributes, true), ...participationEvent(a, alias, options)];
    const after = (): FlowStep => {
      if (inOneCall) return opsStep([creditOp(a.activationId, phone, 'credited')]);
      // Braze asks for about two minutes between creating a profile and subscribing it: the wait goes to Kafka.
      const waits = options.subscriptionMode === 'delayed-set' && options.subscriptionDelayMs > 0 && !(a.doubleOptIn && options.doubleOptIn.mode === 'event');
      if (!waits) return subscribeNow(c, alias);
      return opsStep([delayedOp({ step: 'subscribe', key, delay_ms: options.subscriptionDelayMs, activation_id: a.activationId, phone, subscription_group_id: groupId, double_opt_in: a.doubleOptIn })]);
    };
    return opsStep(create, after, { establishes: { email: email!, user: alias }, otherwise });
  };
  const resolve = (): FlowStep => {
    if (a.externalId !== undefined) {
      const user = externalIdUser(a.externalId, 'external_id');
      return opsStep(resolved(user), () => subscribeNow(c, user), { otherwise });
    }
    return opsStep([{ kind: 'identity.lookup', email: email! }], (answers) => {
      const answer = answers[0] as IdentityAnswer | undefined;
      if (answer?.found) return opsStep(resolved(answer.user), () => subscribeNow(c, answer.user), { otherwise });
      return created(emailAliasUser(email!));
    }, { otherwise });
  };
  return flow({
    name: QUIKLY_FLOWS.sms,
    key,
    start: opsStep([{ kind: 'subscription.get', groupId, subscriber: { phone } }], (answers) => {
      const state = answers[0] as SubscriptionStateAnswer | undefined;
      if (state?.state === 'subscribed') return opsStep([creditOp(a.activationId, phone, 'already_subscribed')]);
      return resolve();
    }, { otherwise }),
  });
}

/** `quikly.activations` -> the email, SMS and attributes flows of partners.md. */
export const mapQuiklyActivation = guardMapper((value: unknown, options: QuiklyOptions): MapResult => {
  let a: QuiklyActivation;
  try {
    a = readQuiklyActivation(value);
  } catch (err) {
    // An SMS acquisition that cannot be read still gets its failed decision when its id can be read.
    const id = readActivationId(value);
    const record = value as Record<string, unknown> | null;
    if (err instanceof MappingError && id !== undefined && record?.kind === 'sms_acquisition') {
      const phone = typeof record.phone === 'string' ? record.phone : '';
      return flow({ name: QUIKLY_FLOWS.sms, key: `activation:${id}`, start: opsStep([creditOp(id, phone, 'failed', err.code)], () => ({ type: 'invalid', code: err.code, detail: err.message })) });
    }
    throw err;
  }
  switch (a.kind) {
    case 'email_acquisition':
      return mapEmailAcquisition(a, options);
    case 'sms_acquisition':
      return mapSmsAcquisition(a, options);
    case 'attributes':
      return mapAttributes(a, options);
  }
});

// ---------------------------------------------------------------------------------------------
// Delayed steps (topics.quiklyDelayed)

function readDelayedStep(value: unknown): DelayedStep & { readonly handed_off_at: number } {
  const r = readRecord(value);
  const str = (f: string): string => {
    const v = r[f];
    if (typeof v !== 'string' || v.length === 0) throw new MappingError(QUIKLY_CODES.invalidDelayedStep, `field ${f} of the delayed step is missing`);
    return v;
  };
  const num = (f: string): number => {
    const v = r[f];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new MappingError(QUIKLY_CODES.invalidDelayedStep, `field ${f} of the delayed step is missing`);
    return v;
  };
  const step = str('step');
  if (step !== 'subscribe' && step !== 'watch') throw new MappingError(QUIKLY_CODES.invalidDelayedStep, 'field step is neither subscribe nor watch');
  return {
    step,
    key: str('key'),
    delay_ms: num('delay_ms'),
    handed_off_at: num('handed_off_at'),
    activation_id: str('activation_id'),
    phone: str('phone'),
    subscription_group_id: str('subscription_group_id'),
    double_opt_in: r.double_opt_in === true,
    ...(typeof r.watch_started_at === 'number' ? { watch_started_at: r.watch_started_at } : {}),
  };
}

/**
 * `topics.quiklyDelayed` -> the step that was due later: it waits (holding only its user's key) until
 * `handed_off_at + delay_ms`, then subscribes the phone, or looks at a pending double opt-in once more.
 */
export const mapQuiklyDelayedStep = guardMapper((value: unknown, options: QuiklyOptions): MapResult => {
  const d = readDelayedStep(value);
  const { activation_id: id, phone, subscription_group_id: groupId, key } = d;
  const otherwise = failedOnError(id, phone);
  const due = d.handed_off_at + d.delay_ms;
  if (d.step === 'subscribe') {
    const then = (): FlowStep => {
      if (!d.double_opt_in) {
        return opsStep([{ kind: 'subscription.set', groupId, state: 'subscribed', subscriber: { phone } }], () => opsStep([creditOp(id, phone, 'credited')]), { otherwise });
      }
      return opsStep([{ kind: 'subscription.set', groupId, state: 'subscribed', subscriber: { phone }, useDoubleOptIn: true }], () => pendingOptIn(key, id, phone, groupId, options), { otherwise });
    };
    return flow({ name: QUIKLY_FLOWS.delayed, key, start: opsStep([{ kind: 'timer.wait', untilMs: due }], then) });
  }
  const startedAt = d.watch_started_at ?? d.handed_off_at;
  const deadline = startedAt + options.doubleOptIn.deadlineMs;
  return flow({
    name: QUIKLY_FLOWS.delayed,
    key,
    start: opsStep([{ kind: 'timer.wait', untilMs: Math.min(due, deadline) }], (waited) => {
      const now = (waited[0] as TimerAnswer | undefined)?.firedAtMs ?? due;
      return opsStep([{ kind: 'subscription.get', groupId, subscriber: { phone } }], (answers) => {
        const state = answers[0] as SubscriptionStateAnswer | undefined;
        if (state?.state === 'subscribed') return opsStep([creditOp(id, phone, 'credited')]);
        if (now >= deadline) return opsStep([creditOp(id, phone, 'failed', QUIKLY_CODES.optInDeadline)]);
        return pendingOptIn(key, id, phone, groupId, options, startedAt, Math.min(WATCH_MAX_MS, d.delay_ms * 2));
      }, { otherwise });
    }),
  });
});

