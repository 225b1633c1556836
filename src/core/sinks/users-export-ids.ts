import type { BrazeUserRef, IdentityAnswer, IdentityLookupOp, OpAnswer } from '../ops.js';
import type { IdentityCache } from '../identity-cache.js';
import { SingleOpBatch, verdictOfStatus, type BuiltRequest, type SinkPolicy, type Verdict } from '../sink.js';

export const USERS_EXPORT_IDS_ENDPOINT = '/users/export/ids';

/** Only what choosing and addressing a profile needs: fewer fields make the call cheaper (braze-api.md §5). */
export const LOOKUP_FIELDS = ['external_id', 'braze_id', 'user_aliases'] as const;

/** The alias label tributary gives alias-only profiles it creates for an email (partners.md). */
export const EMAIL_ALIAS_LABEL = 'email';

/** Counts what the resolver did; implemented by the metrics observer. */
export type LookupOutcome = 'cache_hit' | 'found' | 'not_found' | 'coalesced' | 'error';

/**
 * The identity resolver: /users/export/ids by `email_address` (one email per request, as Braze takes it),
 * in front of a bounded cache of positive and negative answers. Look-ups of an email that is being asked
 * already share that request; profiles this instance created are remembered (see `remember`).
 */
export function identityResolverSink(cache: IdentityCache, count: (outcome: LookupOutcome) => void = () => {}): SinkPolicy<IdentityLookupOp> & { remember(email: string, user: BrazeUserRef, now: number): void } {
  return {
    endpoint: USERS_EXPORT_IDS_ENDPOINT,
    kinds: ['identity.lookup'],
    newBatch: <R>(now: number) => new LookupBatch<R>(now),
    answerLocally(op, now) {
      const hit = cache.get(op.email, now);
      if (hit) count('cache_hit');
      return hit;
    },
    coalesceKeyOf: (op) => op.email,
    onCoalesced: () => count('coalesced'),
    onFailed: () => count('error'),
    onDelivered(op, answer, now) {
      const a = answer as IdentityAnswer;
      count(a.found ? 'found' : 'not_found');
      cache.set(op.email, a, now);
    },
    remember(email, user, now) {
      cache.set(email, { found: true, user, profiles: 1 }, now);
    },
  };
}

class LookupBatch<R> extends SingleOpBatch<IdentityLookupOp, R> {
  build(): BuiltRequest<R> {
    const op = this.op!;
    return {
      request: { method: 'POST', path: USERS_EXPORT_IDS_ENDPOINT, body: { email_address: op.email, fields_to_export: [...LOOKUP_FIELDS] } },
      refs: [this.ref!],
      objects: 1,
      read: (response): Verdict<R> =>
        verdictOfStatus(response.status, response.body, () => {
          const users = (response.body as { users?: unknown } | null)?.users;
          // A 2xx without a users list says nothing: ask again rather than decide "not found".
          if (!Array.isArray(users)) return { kind: 'retry', reason: 'server-error', status: response.status };
          const answer: OpAnswer = chooseProfile(users, op.email);
          return { kind: 'answered', resultOf: () => ({ kind: 'delivered', answer }) };
        }),
    };
  }
}

interface ExportedUser {
  external_id?: unknown;
  braze_id?: unknown;
  user_aliases?: unknown;
}

/**
 * Several profiles may share an email; Braze returns all of them. The first one with an external id wins
 * (it is the identified customer); without any, the profile carrying the `email` alias of this email (the
 * one tributary or a partner integration created), else the first profile, addressed by its braze_id.
 */
export function chooseProfile(users: readonly unknown[], email: string): IdentityAnswer {
  const list = users.filter((u): u is ExportedUser => typeof u === 'object' && u !== null);
  const addressable = list.map((u) => ({ u, ref: refOf(u, email) })).filter((x): x is { u: ExportedUser; ref: BrazeUserRef } => x.ref !== null);
  if (addressable.length === 0) return { found: false };
  const withExternal = addressable.find((x) => 'external_id' in x.ref);
  const withAlias = addressable.find((x) => 'user_alias' in x.ref);
  const chosen = withExternal ?? withAlias ?? addressable[0]!;
  return { found: true, user: chosen.ref, profiles: list.length };
}

function refOf(u: ExportedUser, email: string): BrazeUserRef | null {
  if (typeof u.external_id === 'string' && u.external_id.length > 0) return { external_id: u.external_id };
  if (Array.isArray(u.user_aliases)) {
    for (const a of u.user_aliases as Array<{ alias_name?: unknown; alias_label?: unknown }>) {
      if (a && a.alias_label === EMAIL_ALIAS_LABEL && typeof a.alias_name === 'string' && a.alias_name.toLowerCase() === email) {
        return { user_alias: { alias_name: a.alias_name, alias_label: EMAIL_ALIAS_LABEL } };
      }
    }
  }
  if (typeof u.braze_id === 'string' && u.braze_id.length > 0) return { braze_id: u.braze_id };
  return null;
}
