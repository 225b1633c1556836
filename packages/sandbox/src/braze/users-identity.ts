import { fatal, type HandlerContext, type HandlerResult } from './handler-context.js';
import { externalIdError, parseUserAlias } from './identifiers.js';
import { ALIAS_MAX_PER_REQUEST } from './limits.js';
import type { ProfileRecord, ProfileStore } from './profile-store.js';
import type { JsonValue, UserAlias } from './types.js';
import { isPlainObject, isValidEmail, normalizePhone } from './validators.js';

export const MSG_TOO_MANY_IDS = 'The max number of ids per request was exceeded';

/** POST /users/alias/new (§6). */
export function handleAliasNew(body: JsonValue, ctx: HandlerContext): HandlerResult {
  if (!isPlainObject(body) || !Array.isArray(body.user_aliases)) {
    return fatal(400, 'Bad Request', ["'user_aliases' must be an array"]);
  }
  const items = body.user_aliases;
  if (items.length === 0) return fatal(400, 'Bad Request', ["'user_aliases' must not be empty"]);
  if (items.length > ALIAS_MAX_PER_REQUEST) return fatal(400, MSG_TOO_MANY_IDS);
  const parsed: { alias: UserAlias; externalId?: string }[] = [];
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const alias = parseUserAlias(item);
    if (alias === null || !isPlainObject(item)) return fatal(400, 'Bad Request', [`user_aliases[${i}] needs string alias_name and alias_label`]);
    if (item.external_id !== undefined) {
      const error = externalIdError(item.external_id);
      if (error !== null) return fatal(400, 'Bad Request', [`user_aliases[${i}]: ${error}`]);
      parsed.push({ alias, externalId: item.external_id as string });
    } else parsed.push({ alias });
  }
  const { store, nowMs } = ctx;
  parsed.forEach(({ alias, externalId }, i) => {
    const where = `user_aliases[${i}]`;
    const owner = store.byUserAlias(alias);
    if (externalId !== undefined) {
      const target = store.byExternal(externalId);
      if (target === undefined) ctx.warnings.push(`${where}: no profile has this external_id; nothing added`);
      else if (owner !== undefined && owner !== target) ctx.warnings.push(`${where}: the alias belongs to another profile; nothing added`);
      else if (!store.addAlias(target, alias)) ctx.warnings.push(`${where}: the profile already has an alias with this label; nothing added`);
      else store.touch(target, nowMs);
      return;
    }
    if (owner !== undefined) {
      ctx.warnings.push(`${where}: the alias already exists; nothing created`);
      return;
    }
    const profile = store.create(nowMs);
    store.addAlias(profile, alias);
  });
  return { status: 201, body: { aliases_processed: parsed.length, message: 'success' } };
}

type Priority = 'identified' | 'unidentified' | 'most_recently_updated' | 'least_recently_updated';
const PRIORITIES = new Set<string>(['identified', 'unidentified', 'most_recently_updated', 'least_recently_updated']);

function parsePrioritization(value: JsonValue | undefined): Priority[] | string {
  if (!Array.isArray(value) || value.length === 0) return "'prioritization' is required";
  if (!value.every((v) => typeof v === 'string' && PRIORITIES.has(v))) {
    return "'prioritization' may hold identified, unidentified, most_recently_updated, least_recently_updated";
  }
  const list = value as Priority[];
  if (new Set(list).size !== list.length) return "'prioritization' may not repeat a value";
  if (list.includes('identified') && list.includes('unidentified')) return "'prioritization' may hold only one of identified and unidentified";
  return list;
}

/** §6: apply the prioritisation in order; several candidates left means nothing merges. */
function prioritize(candidates: readonly ProfileRecord[], order: readonly Priority[]): ProfileRecord[] {
  let left = [...candidates];
  for (const rule of order) {
    if (left.length <= 1) break;
    if (rule === 'identified' || rule === 'unidentified') {
      const preferred = left.filter((p) => (p.external_id !== null) === (rule === 'identified'));
      if (preferred.length > 0) left = preferred;
    } else {
      const sorted = [...left].sort((a, b) => a.seq - b.seq);
      left = [rule === 'most_recently_updated' ? sorted[sorted.length - 1] : sorted[0]];
    }
  }
  return left;
}

/**
 * Folds an unidentified profile into the one with `externalId`; with no such profile the id is
 * simply added to the unidentified one (§6).
 */
function identify(
  store: ProfileStore, from: ProfileRecord | undefined, externalId: string, ctx: HandlerContext, where: string, aliasLabel?: string,
): void {
  if (from === undefined) {
    ctx.warnings.push(`${where}: no matching profile; nothing identified`);
    return;
  }
  if (from.external_id !== null) {
    if (from.external_id !== externalId) ctx.warnings.push(`${where}: the matching profile is already identified; nothing merged`);
    return;
  }
  const target = store.byExternal(externalId);
  if (target === undefined) {
    store.setExternalId(from, externalId);
    store.touch(from, ctx.nowMs);
    return;
  }
  if (aliasLabel !== undefined && target.user_aliases.some((a) => a.alias_label === aliasLabel)) {
    ctx.warnings.push(`${where}: the identified profile already has an alias with this label; profiles not combined`);
    return;
  }
  store.merge(from, target, ctx.nowMs);
}

/** POST /users/identify (§6). */
export function handleIdentify(body: JsonValue, ctx: HandlerContext): HandlerResult {
  if (!isPlainObject(body)) return fatal(400, 'Bad Request', ['the request body must be a JSON object']);
  const names = ['aliases_to_identify', 'emails_to_identify', 'phone_numbers_to_identify'] as const;
  const lists: Partial<Record<(typeof names)[number], JsonValue[]>> = {};
  for (const name of names) {
    const value = body[name];
    if (value === undefined) continue;
    if (!Array.isArray(value)) return fatal(400, 'Bad Request', [`'${name}' must be an array`]);
    if (value.length > ALIAS_MAX_PER_REQUEST) return fatal(400, MSG_TOO_MANY_IDS);
    lists[name] = value;
  }
  const total = names.reduce((n, name) => n + (lists[name]?.length ?? 0), 0);
  if (total === 0) {
    return fatal(400, 'Bad Request', ['one of aliases_to_identify, emails_to_identify or phone_numbers_to_identify is required']);
  }

  type Work = { kind: 'alias'; externalId: string; alias: UserAlias }
    | { kind: 'email'; externalId: string; email: string; order: Priority[] }
    | { kind: 'phone'; externalId: string; phone: string; order: Priority[] };
  const work: Work[] = [];
  for (const name of names) {
    const list = lists[name] ?? [];
    for (let i = 0; i < list.length; i++) {
      const item = list[i];
      const where = `${name}[${i}]`;
      if (!isPlainObject(item)) return fatal(400, 'Bad Request', [`${where} must be an object`]);
      const idError = externalIdError(item.external_id);
      if (idError !== null) return fatal(400, 'Bad Request', [`${where}: ${idError}`]);
      const externalId = item.external_id as string;
      if (name === 'aliases_to_identify') {
        const alias = parseUserAlias(item.user_alias);
        if (alias === null) return fatal(400, 'Bad Request', [`${where}: 'user_alias' needs string alias_name and alias_label`]);
        work.push({ kind: 'alias', externalId, alias });
        continue;
      }
      const order = parsePrioritization(item.prioritization);
      if (typeof order === 'string') return fatal(400, 'Bad Request', [`${where}: ${order}`]);
      if (name === 'emails_to_identify') {
        if (typeof item.email !== 'string' || !isValidEmail(item.email)) return fatal(400, 'Bad Request', [`${where}: 'email' is not a valid email address`]);
        work.push({ kind: 'email', externalId, email: item.email, order });
      } else {
        const phone = typeof item.phone === 'string' ? normalizePhone(item.phone) : null;
        if (phone === null) return fatal(400, 'Bad Request', [`${where}: 'phone' is not a valid phone number`]);
        work.push({ kind: 'phone', externalId, phone, order });
      }
    }
  }

  const { store } = ctx;
  work.forEach((w, i) => {
    const where = `${w.kind}[${i}]`;
    if (w.kind === 'alias') {
      identify(store, store.byUserAlias(w.alias), w.externalId, ctx, where, w.alias.alias_label);
      return;
    }
    const candidates = w.kind === 'email' ? store.allByEmail(w.email) : store.allByPhone(w.phone);
    const left = prioritize(candidates, w.order);
    if (left.length > 1) {
      ctx.warnings.push(`${where}: ${left.length} profiles still match after prioritization; nothing merged`);
      return;
    }
    identify(store, left[0], w.externalId, ctx, where);
  });
  return { status: 201, body: { aliases_processed: total, message: 'success' } };
}

