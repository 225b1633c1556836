import { formatPath } from './config-tree.js';

/** One thing wrong with the configuration, at a key path. Rendered to text only once all are collected. */
export interface Problem {
  readonly path: readonly (string | number)[];
  /** Says what to fix. Never contains a secret value. */
  readonly message: string;
  /** Rendered as a sentence of its own ("unknown key a.b; did you mean a.c?") rather than `path: message`. */
  readonly standalone?: boolean;
  /** Follows the source note: "unknown key a.b (from overrides); did you mean a.c?". */
  readonly hint?: string;
}

/** Where values came from, by key path, for values that did not come from the file. */
export type Sources = ReadonlyMap<string, string>;

export function sourceKey(path: readonly (string | number)[]): string {
  return JSON.stringify(path.map(String));
}

/** Key paths whose values are never echoed back, in problems or in redacted output. */
export const SECRET_PATHS: readonly (readonly string[])[] = [
  ['braze', 'apiKey'],
  ['kafka', 'sasl', 'password'],
  ['schemaRegistry', 'password'],
  ['kafka', 'ssl', 'key'],
  ['outbound', 'movableInk', 'password'],
  ['outbound', 'quiklyWebhook', 'token'],
  ['outbound', 'receiver', 'token'],
];

export function isSecretPath(path: readonly (string | number)[]): boolean {
  return SECRET_PATHS.some((secret) => secret.every((segment, i) => path[i] === segment));
}

/** The value as shown after "got": short, JSON-quoted strings, no secrets, no URL credentials. */
export function showValue(path: readonly (string | number)[], value: unknown): string {
  if (isSecretPath(path)) return typeof value === 'string' ? `a secret of ${value.length} characters, not shown` : describeKind(value);
  if (typeof value === 'string') {
    const shown = hideUrlCredentials(value);
    return JSON.stringify(shown.length > 80 ? `${shown.slice(0, 77)}...` : shown);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  return describeKind(value);
}

function describeKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return 'a string';
  if (typeof value === 'number') return 'a number';
  if (typeof value === 'boolean') return 'a boolean';
  return typeof value;
}

/**
 * A value as it may be shown in a problem: credentials in a URL (`user:pass@`), or before a broker address,
 * and a query string or fragment (`?api_key=...`) are masked, since people paste secrets there too.
 */
export function hideUrlCredentials(text: string): string {
  return text
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/i, '$1***@')
    .replace(/^[^/@\s:]+:[^/@\s]*@/, '***@')
    .replace(/[?#].*$/s, '?***');
}

export function renderProblem(problem: Problem, sources: Sources): string {
  const from = sourceOf(problem.path, sources);
  const note = from === undefined ? '' : ` (from ${from})`;
  const hint = problem.hint === undefined ? '' : `; ${problem.hint}`;
  if (problem.standalone) return `${problem.message}${note}${hint}`;
  return `${formatPath(problem.path)}${note}: ${problem.message}${hint}`;
}

/** The most specific source recorded for the path or one of its ancestors. */
function sourceOf(path: readonly (string | number)[], sources: Sources): string | undefined {
  for (let length = path.length; length > 0; length--) {
    const found = sources.get(sourceKey(path.slice(0, length)));
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The closest candidate to a mistyped name, when one is close enough to be a plausible typo. */
export function didYouMean(given: string, candidates: readonly string[]): string | undefined {
  const lower = given.toLowerCase();
  let best: { candidate: string; distance: number } | undefined;
  for (const candidate of candidates) {
    const distance = candidate.toLowerCase() === lower ? 0 : editDistance(lower, candidate.toLowerCase());
    if (best === undefined || distance < best.distance) best = { candidate, distance };
  }
  if (best === undefined) return undefined;
  // "email" for "email_alias": a cut-short name is as likely a slip as a typo.
  const extended = candidates.filter((candidate) => lower.length >= 3 && candidate.toLowerCase().startsWith(lower));
  if (best.distance > 0 && extended.length === 1) return extended[0];
  const tolerance = Math.max(1, Math.floor(Math.max(given.length, best.candidate.length) / 3));
  return best.distance <= tolerance ? best.candidate : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}
