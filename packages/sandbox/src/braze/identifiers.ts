import { EXTERNAL_ID_MAX_BYTES } from './limits.js';
import type { ProfileRecord, ProfileStore } from './profile-store.js';
import type { JsonObject, UserAlias } from './types.js';
import { isPlainObject, isValidEmail, normalizePhone, utf8Bytes } from './validators.js';

/** The object-level error texts Braze documents (§2.2, §2.12), and the sandbox's own where Braze's is unknown. */
export const ERR_IDENTIFIER_REQUIRED = "'external_id' or 'braze_id' or 'user_alias' is required";
export const ERR_TWO_PRIMARY = "only one of 'external_id', 'braze_id' or 'user_alias' may be provided";
export const ERR_UPDATE_EXISTING_ONLY = "'_update_existing_only' must be a boolean";

/**
 * Placeholder ids a buggy integration sends; Braze refuses dummy ids like these
 * (BLACKLISTED_EXTERNAL_USER_ID). The exact list is Braze's; this is the sandbox's short version.
 */
const BLACKLISTED_EXTERNAL_IDS = new Set(['undefined', 'null', 'nil', 'none', 'nan', 'n/a', '[object object]']);
const BLACKLISTED_MAX_LENGTH = Math.max(...[...BLACKLISTED_EXTERNAL_IDS].map((id) => id.length));

export type Identifier =
  | { readonly kind: 'external_id'; readonly value: string }
  | { readonly kind: 'braze_id'; readonly value: string }
  | { readonly kind: 'user_alias'; readonly alias: UserAlias }
  | { readonly kind: 'email'; readonly value: string }
  | { readonly kind: 'phone'; readonly value: string };

export type IdentifierResult =
  | { readonly ok: true; readonly id: Identifier; readonly updateExistingOnly: boolean | undefined }
  | { readonly ok: false; readonly error: string; readonly warning?: string };

const PRIMARY_KEYS = ['external_id', 'user_alias', 'braze_id'] as const;

export function parseUserAlias(value: unknown): UserAlias | null {
  if (!isPlainObject(value)) return null;
  const { alias_name: name, alias_label: label } = value;
  if (typeof name !== 'string' || typeof label !== 'string' || name === '' || label === '') return null;
  return { alias_name: name, alias_label: label };
}

/** Validates one external_id; returns the error type or null. */
export function externalIdError(value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return "'external_id' must be a non-empty string";
  // A UTF-16 code unit is at most 3 UTF-8 bytes, so short ids need no count.
  if (value.length * 3 > EXTERNAL_ID_MAX_BYTES && utf8Bytes(value) > EXTERNAL_ID_MAX_BYTES) return 'EXTERNAL_USER_ID_TOO_LARGE';
  if (value.length <= BLACKLISTED_MAX_LENGTH && BLACKLISTED_EXTERNAL_IDS.has(value.toLowerCase())) return 'BLACKLISTED_EXTERNAL_USER_ID';
  return null;
}

/**
 * §2.2: exactly one primary identifier (external_id, user_alias, braze_id); without one, email
 * then phone are used for lookup. A phone Braze cannot normalise is no identifier at all.
 */
export function parseIdentifier(object: JsonObject): IdentifierResult {
  let primaries = 0;
  let key: (typeof PRIMARY_KEYS)[number] | undefined;
  for (const k of PRIMARY_KEYS) {
    if (k in object) {
      primaries += 1;
      key = k;
    }
  }
  let updateExistingOnly: boolean | undefined;
  if ('_update_existing_only' in object) {
    if (typeof object._update_existing_only !== 'boolean') return { ok: false, error: ERR_UPDATE_EXISTING_ONLY };
    updateExistingOnly = object._update_existing_only;
  }
  if (primaries > 1) return { ok: false, error: ERR_TWO_PRIMARY };
  if (key !== undefined) {
    if (key === 'external_id') {
      const error = externalIdError(object.external_id);
      if (error !== null) return { ok: false, error };
      return { ok: true, id: { kind: 'external_id', value: object.external_id as string }, updateExistingOnly };
    }
    if (key === 'user_alias') {
      const alias = parseUserAlias(object.user_alias);
      if (alias === null) return { ok: false, error: "'user_alias' must be an object with string 'alias_name' and 'alias_label'" };
      return { ok: true, id: { kind: 'user_alias', alias }, updateExistingOnly };
    }
    if (typeof object.braze_id !== 'string' || object.braze_id === '') {
      return { ok: false, error: "'braze_id' must be a non-empty string" };
    }
    return { ok: true, id: { kind: 'braze_id', value: object.braze_id }, updateExistingOnly };
  }
  if ('email' in object && object.email !== null) {
    if (typeof object.email !== 'string' || !isValidEmail(object.email)) return { ok: false, error: 'EMAIL_BAD_FORMAT' };
    return { ok: true, id: { kind: 'email', value: object.email }, updateExistingOnly };
  }
  if ('phone' in object && object.phone !== null) {
    const phone = typeof object.phone === 'string' ? normalizePhone(object.phone) : null;
    if (phone === null) {
      return { ok: false, error: ERR_IDENTIFIER_REQUIRED, warning: 'phone is not a valid number, so it cannot identify a profile' };
    }
    return { ok: true, id: { kind: 'phone', value: phone }, updateExistingOnly };
  }
  return { ok: false, error: ERR_IDENTIFIER_REQUIRED };
}

export type Resolution =
  | { readonly profile: ProfileRecord; readonly created: boolean }
  | { readonly profile: null; readonly reason: string };

/**
 * §2.3 defaults: external_id creates unless `_update_existing_only: true`; user_alias creates only
 * with an explicit `false`; braze_id never creates; email/phone create an email-only or phone-only
 * profile unless the flag is `true`.
 */
export function resolveForWrite(
  store: ProfileStore, id: Identifier, updateExistingOnly: boolean | undefined, nowMs: number,
): Resolution {
  switch (id.kind) {
    case 'external_id': {
      const existing = store.byExternal(id.value);
      if (existing !== undefined) return { profile: existing, created: false };
      if (updateExistingOnly === true) return { profile: null, reason: 'no profile has this external_id and _update_existing_only is true' };
      const profile = store.create(nowMs);
      store.setExternalId(profile, id.value);
      return { profile, created: true };
    }
    case 'user_alias': {
      const existing = store.byUserAlias(id.alias);
      if (existing !== undefined) return { profile: existing, created: false };
      if (updateExistingOnly !== false) {
        return { profile: null, reason: 'no profile has this alias; alias-only profiles are created only with _update_existing_only: false' };
      }
      const profile = store.create(nowMs);
      store.addAlias(profile, id.alias);
      return { profile, created: true };
    }
    case 'braze_id': {
      const existing = store.byBraze(id.value);
      if (existing !== undefined) return { profile: existing, created: false };
      return { profile: null, reason: 'no profile has this braze_id (Braze assigns them, so none is created)' };
    }
    case 'email': {
      const existing = store.find({ email: id.value });
      if (existing !== undefined) return { profile: existing, created: false };
      if (updateExistingOnly === true) return { profile: null, reason: 'no profile has this email and _update_existing_only is true' };
      const profile = store.create(nowMs);
      store.setEmail(profile, id.value, nowMs);
      return { profile, created: true };
    }
    case 'phone': {
      const existing = store.find({ phone: id.value });
      if (existing !== undefined) return { profile: existing, created: false };
      if (updateExistingOnly === true) return { profile: null, reason: 'no profile has this phone and _update_existing_only is true' };
      const profile = store.create(nowMs);
      store.setPhone(profile, id.value, nowMs);
      return { profile, created: true };
    }
  }
}
