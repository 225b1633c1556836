import type { Type } from 'avsc';

export const COMPATIBILITY_LEVELS = [
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
] as const;

export type CompatibilityLevel = (typeof COMPATIBILITY_LEVELS)[number];

export const DEFAULT_COMPATIBILITY: CompatibilityLevel = 'BACKWARD';

/** Confluent accepts any letter case on input; we store and echo upper case. */
export function parseCompatibilityLevel(raw: unknown): CompatibilityLevel | undefined {
  if (typeof raw !== 'string') return undefined;
  const upper = raw.toUpperCase();
  return (COMPATIBILITY_LEVELS as readonly string[]).includes(upper) ? (upper as CompatibilityLevel) : undefined;
}

export interface VersionedType {
  readonly version: number;
  readonly type: Type;
}

/** Why `reader` cannot decode data written with `writer`, or undefined when it can (Avro resolution rules). */
export function readFailure(reader: Type, writer: Type): string | undefined {
  try {
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/**
 * The reasons `candidate` breaks `level` against `previous` (ascending by version); empty when compatible.
 * Non-transitive levels look only at the last entry of `previous`, which is why callers that want to
 * test against one specific version pass just that version.
 */
export function findIncompatibilities(
  level: CompatibilityLevel,
  candidate: Type,
  previous: readonly VersionedType[],
): string[] {
  if (level === 'NONE' || previous.length === 0) return [];
  const transitive = level.endsWith('_TRANSITIVE');
  const base = transitive ? level.slice(0, -'_TRANSITIVE'.length) : level;
  const against = transitive ? previous : previous.slice(-1);
  const problems: string[] = [];
  for (const old of against) {
    if (base === 'BACKWARD' || base === 'FULL') {
      const failure = readFailure(candidate, old.type);
      if (failure !== undefined) {
        problems.push(`the new schema cannot read data written with version ${old.version} (${failure})`);
      }
    }
    if (base === 'FORWARD' || base === 'FULL') {
      const failure = readFailure(old.type, candidate);
      if (failure !== undefined) {
        problems.push(`version ${old.version} cannot read data written with the new schema (${failure})`);
      }
    }
  }
  return problems;
}
