import { fatal, type HandlerContext, type HandlerResult } from './handler-context.js';
import { externalIdError } from './identifiers.js';
import { SUBSCRIPTION_MAX_IDS, USER_STATUS_MAX_LIMIT } from './limits.js';
import type { ProfileRecord } from './profile-store.js';
import type { JsonObject, JsonValue, SubscriptionChannel, SubscriptionRecord } from './types.js';
import { isPlainObject, isUuid, isValidEmail, normalizePhone } from './validators.js';
import { MSG_TOO_MANY_IDS } from './users-identity.js';

/** §7: the documented text for email and phone in one request. */
export const MSG_EMAIL_AND_PHONE = 'Either an email address or a phone number should be provided, but not both.';

type State = 'subscribed' | 'unsubscribed';

interface SetRequest {
  readonly groupId: string;
  readonly channel: SubscriptionChannel;
  readonly state: State;
  readonly externalIds: readonly string[];
  readonly emails: readonly string[];
  readonly phones: readonly string[];
  readonly doubleOptIn: boolean;
}

/** A string or an array of strings, as v1 accepts for external_id/email/phone. */
function list(value: JsonValue | undefined, name: string, singleAllowed: boolean): string[] | string {
  if (value === undefined) return [];
  if (typeof value === 'string' && singleAllowed) return [value];
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) return `'${name}' must be ${singleAllowed ? 'a string or ' : ''}an array of strings`;
  return value as string[];
}

function parseSetRequest(
  item: JsonObject, ctx: HandlerContext, keys: { ids: string; emails: string; phones: string }, singleAllowed: boolean,
): SetRequest | HandlerResult {
  const groupId = item.subscription_group_id;
  if (groupId === undefined) return fatal(400, 'Bad Request', ["'subscription_group_id' is required"]);
  const channel = ctx.groups.channel(groupId);
  if (!isUuid(groupId) || channel === null) return fatal(400, 'Bad Request', ["'subscription_group_id' is not a valid subscription group"]);
  const state = item.subscription_state;
  if (state !== 'subscribed' && state !== 'unsubscribed') {
    return fatal(400, 'Bad Request', ["'subscription_state' must be subscribed or unsubscribed"]);
  }
  const externalIds = list(item[keys.ids], keys.ids, singleAllowed);
  const emails = list(item[keys.emails], keys.emails, singleAllowed);
  const phones = list(item[keys.phones], keys.phones, singleAllowed);
  for (const parsed of [externalIds, emails, phones]) if (typeof parsed === 'string') return fatal(400, 'Bad Request', [parsed]);
  const ids = externalIds as string[];
  const mails = emails as string[];
  const tels = phones as string[];
  if (mails.length > 0 && tels.length > 0) return fatal(400, MSG_EMAIL_AND_PHONE);
  if (ids.length === 0 && mails.length === 0 && tels.length === 0) {
    return fatal(400, 'Bad Request', [`one of '${keys.ids}', '${keys.emails}' or '${keys.phones}' is required`]);
  }
  if (ids.length > SUBSCRIPTION_MAX_IDS || mails.length > SUBSCRIPTION_MAX_IDS || tels.length > SUBSCRIPTION_MAX_IDS) {
    return fatal(400, MSG_TOO_MANY_IDS);
  }
  for (const id of ids) {
    const error = externalIdError(id);
    if (error !== null) return fatal(400, 'Bad Request', [`${keys.ids}: ${error}`]);
  }
  // §7: SMS groups take external ids or phones; email groups take external ids or emails.
  if (channel === 'sms' && mails.length > 0) return fatal(400, 'Bad Request', ['an SMS subscription group takes external ids or phone numbers, not emails']);
  if (channel === 'email' && tels.length > 0) return fatal(400, 'Bad Request', ['an email subscription group takes external ids or emails, not phone numbers']);
  if (!mails.every(isValidEmail)) return fatal(400, 'Bad Request', ['an email address is not valid']);
  const normalized = tels.map(normalizePhone);
  if (normalized.some((p) => p === null)) return fatal(400, 'Bad Request', ['a phone number is not a valid E.164 number']);
  const doi = item.use_double_opt_in_logic;
  if (doi !== undefined && typeof doi !== 'boolean') return fatal(400, 'Bad Request', ["'use_double_opt_in_logic' must be a boolean"]);
  return {
    groupId: groupId.toLowerCase(), channel, state, externalIds: ids, emails: mails, phones: normalized as string[],
    // §7: double opt-in applies to SMS groups and only when subscribing.
    doubleOptIn: doi === true && channel === 'sms' && state === 'subscribed',
  };
}

const isResult = (value: SetRequest | HandlerResult): value is HandlerResult => 'status' in value;

function applySet(request: SetRequest, ctx: HandlerContext, where: string): void {
  const { store, nowMs } = ctx;
  for (const id of request.externalIds) {
    const profile = store.byExternal(id);
    if (profile === undefined) ctx.warnings.push(`${where}: no profile has external_id #${request.externalIds.indexOf(id)}; ignored`);
    else store.setSubscription(profile, request.groupId, request.state, nowMs, request.doubleOptIn);
  }
  // §7: an email or phone shared by several profiles updates them all; one on no profile is kept for later.
  for (const email of request.emails) {
    const profiles = store.allByEmail(email);
    if (profiles.length === 0) store.setPendingSubscription('email', email, request.groupId, request.state, nowMs, request.doubleOptIn);
    for (const p of profiles) store.setSubscription(p, request.groupId, request.state, nowMs, request.doubleOptIn);
  }
  for (const phone of request.phones) {
    const profiles = store.allByPhone(phone);
    if (profiles.length === 0) store.setPendingSubscription('phone', phone, request.groupId, request.state, nowMs, request.doubleOptIn);
    for (const p of profiles) store.setSubscription(p, request.groupId, request.state, nowMs, request.doubleOptIn);
  }
}

/** POST /subscription/status/set (§7, v1). */
export function handleSubscriptionSetV1(body: JsonValue, ctx: HandlerContext): HandlerResult {
  if (!isPlainObject(body)) return fatal(400, 'Bad Request', ['the request body must be a JSON object']);
  const request = parseSetRequest(body, ctx, { ids: 'external_id', emails: 'email', phones: 'phone' }, true);
  if (isResult(request)) return request;
  applySet(request, ctx, 'request');
  return { status: 201, body: { message: 'success' } };
}

/** POST /v2/subscription/status/set (§7). Every group is validated before any is applied. */
export function handleSubscriptionSetV2(body: JsonValue, ctx: HandlerContext): HandlerResult {
  if (!isPlainObject(body) || !Array.isArray(body.subscription_groups) || body.subscription_groups.length === 0) {
    return fatal(400, 'Bad Request', ["'subscription_groups' must be a non-empty array"]);
  }
  const requests: SetRequest[] = [];
  for (let i = 0; i < body.subscription_groups.length; i++) {
    const item = body.subscription_groups[i];
    if (!isPlainObject(item)) return fatal(400, 'Bad Request', [`subscription_groups[${i}] must be an object`]);
    const request = parseSetRequest(item, ctx, { ids: 'external_ids', emails: 'emails', phones: 'phones' }, false);
    if (isResult(request)) return request;
    requests.push(request);
  }
  requests.forEach((r, i) => applySet(r, ctx, `subscription_groups[${i}]`));
  return { status: 201, body: { message: 'success' } };
}

const display = (record: SubscriptionRecord | undefined): 'Subscribed' | 'Unsubscribed' | 'Unknown' =>
  record === undefined ? 'Unknown' : record.state === 'subscribed' ? 'Subscribed' : 'Unsubscribed';

/** The newest record for the group among profiles sharing an email or phone. */
function newestRecord(profiles: readonly ProfileRecord[], groupId: string): SubscriptionRecord | undefined {
  let best: SubscriptionRecord | undefined;
  for (const p of profiles) {
    const record = p.subscription_groups[groupId];
    if (record !== undefined && (best === undefined || record.updated_at > best.updated_at)) best = record;
  }
  return best;
}

/** `external_id=a&external_id=b` and `external_id[]=a&external_id[]=b` both work. */
const queryList = (query: URLSearchParams, name: string): string[] => [...query.getAll(name), ...query.getAll(`${name}[]`)];

/** The users a subscription read asks about: external ids, emails or phones, each list within Braze's cap. */
function readAskedUsers(query: URLSearchParams): { ids: string[]; emails: string[]; phones: string[] } | HandlerResult {
  const ids = queryList(query, 'external_id');
  const emails = queryList(query, 'email');
  // A literal '+' in a query string decodes as a space; a phone number never starts with one, so an
  // unencoded E.164 number (`phone=+15555550100`) is read, and answered, as the client wrote it.
  const phones = queryList(query, 'phone').map((p) => p.replace(/^ (?=\d)/, '+'));
  if (ids.length === 0 && emails.length === 0 && phones.length === 0) {
    return fatal(400, 'Bad Request', ["one of 'external_id', 'email' or 'phone' is required"]);
  }
  if (ids.length > SUBSCRIPTION_MAX_IDS || emails.length > SUBSCRIPTION_MAX_IDS || phones.length > SUBSCRIPTION_MAX_IDS) {
    return fatal(400, MSG_TOO_MANY_IDS);
  }
  return { ids, emails, phones };
}

/** GET /subscription/status/get (§7). */
export function handleSubscriptionStatusGet(_body: JsonValue, ctx: HandlerContext): HandlerResult {
  const { query, store, nowMs } = ctx;
  const groupId = query.get('subscription_group_id');
  if (groupId === null) return fatal(400, 'Bad Request', ["'subscription_group_id' is required"]);
  if (!isUuid(groupId) || ctx.groups.channel(groupId) === null) {
    return fatal(400, 'Bad Request', ["'subscription_group_id' is not a valid subscription group"]);
  }
  const group = groupId.toLowerCase();
  const asked = readAskedUsers(query);
  if ('status' in asked) return asked;
  const { ids, emails, phones } = asked;
  const status: Record<string, JsonValue> = {};
  if (ids.length > 0) {
    // §7: with external ids, only the ids are queried.
    for (const id of ids) status[id] = display(store.byExternal(id)?.subscription_groups[group]);
  } else if (emails.length > 0 && phones.length > 0) {
    return fatal(400, MSG_EMAIL_AND_PHONE);
  } else {
    const channel = emails.length > 0 ? 'email' : 'phone';
    for (const value of channel === 'email' ? emails : phones) {
      const profiles = channel === 'email' ? store.allByEmail(value) : store.allByPhone(value);
      const pending = store.pendingSubscription(channel, value, group, nowMs);
      status[value] = display(newestRecord(profiles, group)
        ?? (pending === undefined ? undefined : { state: pending.doubleOptInPending ? 'unsubscribed' : pending.state, updated_at: '' }));
    }
  }
  return { status: 200, body: { status, message: 'success' } };
}

/**
 * GET /subscription/user/status (§7). The response shape is unconfirmed; the sandbox answers the
 * documented older shape, plus the identifier on each item when several users were asked for.
 */
export function handleSubscriptionUserStatus(_body: JsonValue, ctx: HandlerContext): HandlerResult {
  const { query, store } = ctx;
  const users = readAskedUsers(query);
  if ('status' in users) return users;
  const { ids, emails, phones } = users;
  const rawLimit = query.get('limit');
  const rawOffset = query.get('offset');
  const limit = rawLimit === null ? USER_STATUS_MAX_LIMIT : Number(rawLimit);
  const offset = rawOffset === null ? 0 : Number(rawOffset);
  if (!Number.isInteger(limit) || limit < 1 || limit > USER_STATUS_MAX_LIMIT) {
    return fatal(400, 'Bad Request', [`'limit' must be an integer from 1 to ${USER_STATUS_MAX_LIMIT}`]);
  }
  if (!Number.isInteger(offset) || offset < 0) return fatal(400, 'Bad Request', ["'offset' must be a non-negative integer"]);

  const asked: { key: 'external_id' | 'email' | 'phone'; value: string; profiles: ProfileRecord[] }[] = [
    ...ids.map((value) => ({ key: 'external_id' as const, value, profiles: [store.byExternal(value)].filter((p) => p !== undefined) })),
    ...emails.map((value) => ({ key: 'email' as const, value, profiles: store.allByEmail(value) })),
    ...phones.map((value) => ({ key: 'phone' as const, value, profiles: store.allByPhone(value) })),
  ];
  const several = asked.length > 1;
  const items: JsonObject[] = [];
  for (const { key, value, profiles } of asked) {
    const groups = new Set(profiles.flatMap((p) => Object.keys(p.subscription_groups)));
    for (const group of groups) {
      items.push({
        ...(several ? { [key]: value } : {}),
        subscription_group_id: group,
        subscription_status: display(newestRecord(profiles, group)),
      });
    }
  }
  return {
    status: 200,
    body: { success: true, subscription_groups: items.slice(offset, offset + limit), total_count: items.length, message: 'success' },
  };
}
