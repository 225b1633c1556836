import type { PlainObject } from './config-tree.js';
import { getAt, isPlainObject } from './config-tree.js';
import type { TributaryConfig } from './config-types.js';
import { hideUrlCredentials, SECRET_PATHS } from './problem.js';

export const REDACTED = '***';

/**
 * A copy safe to print or log (`config check`, start-up logs): secrets become '***', unset ones stay null so
 * the output still shows whether they are set, and any credentials inside URLs are masked.
 */
export function redactConfig(config: TributaryConfig): unknown {
  const copy = structuredClone(config) as unknown as PlainObject;
  for (const path of SECRET_PATHS) {
    const parent = getAt(copy, path.slice(0, -1));
    const key = path[path.length - 1]!;
    if (isPlainObject(parent) && parent[key] !== null && parent[key] !== undefined) parent[key] = REDACTED;
  }
  for (const path of [['braze', 'restEndpoint'], ['schemaRegistry', 'url']]) {
    const parent = getAt(copy, path.slice(0, -1));
    const key = path[1]!;
    if (isPlainObject(parent) && typeof parent[key] === 'string') parent[key] = hideUrlCredentials(parent[key]);
  }
  return copy;
}
