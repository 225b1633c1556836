/** Helpers for plain JSON-like trees: the merge that layers config sources, and freezing. */

export type PlainObject = Record<string, unknown>;

export function isPlainObject(value: unknown): value is PlainObject {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Layers `patch` onto `base` in place. Objects merge key by key; arrays, scalars and `null` replace,
 * because a list of brokers or topics is meant whole. `undefined` in the patch means "not given".
 */
export function mergeInto(base: PlainObject, patch: PlainObject): PlainObject {
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) continue;
    const current = base[key];
    if (isPlainObject(current) && isPlainObject(value)) mergeInto(current, value);
    else base[key] = cloneTree(value);
  }
  return base;
}

function cloneTree(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(cloneTree);
  if (isPlainObject(value)) {
    const out: PlainObject = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = cloneTree(v);
    return out;
  }
  return value;
}

export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

/** Reads `tree` at `path`; `undefined` when any step is missing or not an object. */
export function getAt(tree: unknown, path: readonly string[]): unknown {
  let node = tree;
  for (const key of path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as PlainObject)[key];
  }
  return node;
}

/** Writes `value` at `path`, creating (or replacing non-object) intermediate nodes. */
export function setAt(tree: PlainObject, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (!isPlainObject(next)) node[key] = {};
    node = node[key] as PlainObject;
  }
  node[path[path.length - 1]!] = value;
}

/**
 * A key path as people write it: `braze.rateLimits["users.track"].limit`, `kafka.brokers[1]`.
 * Segments that are array indexes come as numbers.
 */
export function formatPath(path: readonly (string | number)[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out === '' ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out === '' ? '(top level)' : out;
}
