import type { BrazeUserRef, Flow, FlowStep, IdentityAnswer, Op } from '../../core/ops.js';
import { emailAliasUser } from './identifiers.js';

/**
 * The look-up-then-write flow of partners.md (Extole, Quikly): look the email up in Braze
 * (/users/export/ids, through the identity resolver); found -> `whenFound(user)`; not found ->
 * `whenNotFound(alias)`, whose ops must create the alias-only profile (alias name = the email, label
 * `email`, `_update_existing_only: false` on its attributes object). The profile created is remembered,
 * so later records for the email need no look-up. Every op runs under the key `email:<email>`.
 * `email` must already be normalised (trimmed, lower-cased).
 */
export function lookUpByEmail(
  name: string,
  email: string,
  whenFound: (user: BrazeUserRef) => readonly Op[],
  whenNotFound: (alias: BrazeUserRef) => readonly Op[],
): Flow {
  const resolved = (answers: readonly unknown[]): FlowStep => {
    const answer = answers[0] as IdentityAnswer | undefined;
    if (answer?.found) return { type: 'ops', ops: whenFound(answer.user) };
    const alias = emailAliasUser(email);
    return { type: 'ops', ops: whenNotFound(alias), establishes: { email, user: alias } };
  };
  return {
    name,
    key: `email:${email}`,
    start: { type: 'ops', ops: [{ kind: 'identity.lookup', email }], then: resolved },
  };
}
