import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { CONFIG_SCHEMA } from './config-schema.js';
import { formatPath, getAt } from './config-tree.js';
import type { Problem } from './problem.js';
import { didYouMean, showValue } from './problem.js';

type SchemaNode = Record<string, unknown>;

let validator: ValidateFunction | undefined;

/** Compiled on first use: most processes load their config once. */
function getValidator(): ValidateFunction {
  if (validator === undefined) {
    const ajv = new Ajv({ allErrors: true, verbose: true, allowUnionTypes: true, strict: true });
    // Editor annotations (VS Code, YAML language server); to ajv they are inert.
    ajv.addVocabulary(['errorMessage', 'patternErrorMessage']);
    validator = ajv.compile(CONFIG_SCHEMA);
  }
  return validator;
}

/** Every schema violation in `tree`, each as one problem that says what to fix. */
export function schemaProblems(tree: unknown): Problem[] {
  const validate = getValidator();
  if (validate(tree)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const errors = validate.errors ?? [];
  // An empty string also fails any pattern; "must not be empty" is the one thing to say about it.
  const empty = new Set(errors.filter((error) => error.keyword === 'minLength' && error.data === '').map((error) => error.instancePath));
  for (const error of errors) {
    // The errors of the key-name schema, which carry `propertyName`, say more than this summary.
    if (error.keyword === 'propertyNames') continue;
    if (error.keyword === 'pattern' && error.propertyName === undefined && empty.has(error.instancePath)) continue;
    const problem = toProblem(error, tree);
    const id = `${JSON.stringify(problem.path)} ${problem.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    problems.push(problem);
  }
  return problems;
}

/** Turns a JSON Pointer into key path segments, numbers for array indexes. */
function toPath(pointer: string, tree: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    const segment = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    path.push(Array.isArray(getAt(tree, path.map(String))) ? Number(segment) : segment);
  }
  return path;
}

/** Keys of earlier releases, with what replaced them. */
const RENAMED_KEYS: Record<string, string> = {
  'kafka.fromBeginning': 'was replaced by kafka.startFrom: write startFrom: earliest (for fromBeginning: true) or startFrom: latest (for false)',
};

/** Keywords about the value itself, for which the schema's `errorMessage` replaces the generic text. */
const VALUE_KEYWORDS = new Set([
  'type', 'enum', 'const', 'pattern', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum',
  'minLength', 'maxLength', 'minProperties',
]);

function toProblem(error: ErrorObject, tree: unknown): Problem {
  const path = toPath(error.instancePath, tree);
  const schema = (error.parentSchema ?? {}) as SchemaNode;

  if (error.propertyName !== undefined) {
    return { path, message: `key ${JSON.stringify(error.propertyName)} is not allowed: names must not be empty` };
  }

  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String((error.params as { additionalProperty: string }).additionalProperty);
      const known = Object.keys((schema.properties ?? {}) as SchemaNode).filter((name) => name !== '$schema');
      const full = formatPath([...path, key]);
      const renamed = RENAMED_KEYS[full];
      if (renamed !== undefined) return { path: [...path, key], message: renamed };
      const guess = didYouMean(key, known);
      const hint = guess !== undefined
        ? `did you mean ${formatPath([...path, guess])}?`
        : `known keys${path.length === 0 ? '' : ` of ${formatPath(path)}`}: ${known.join(', ')}`;
      return { path: [...path, key], message: `unknown key ${full}`, hint, standalone: true };
    }
    case 'required': {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      const property = ((schema.properties ?? {}) as Record<string, SchemaNode>)[missing];
      const options = Array.isArray(property?.enum) ? `: one of ${listOf(property.enum)}` : '';
      return { path: [...path, missing], message: `required${options}` };
    }
    case 'minItems':
      return { path, message: 'must list at least one entry' };
    case 'uniqueItems': {
      const { j } = error.params as { i: number; j: number };
      return { path, message: `lists ${showValue(path, (error.data as unknown[])[j])} more than once` };
    }
  }

  if (!VALUE_KEYWORDS.has(error.keyword)) {
    return { path, message: error.message ?? `fails the ${error.keyword} rule` };
  }
  const got = ` (got ${showValue(path, error.data)})`;
  if (typeof schema.errorMessage === 'string') return { path, message: schema.errorMessage + got };

  switch (error.keyword) {
    case 'enum': {
      const options = schema.enum as unknown[];
      const guess = typeof error.data === 'string' ? didYouMean(error.data, options.map(String)) : undefined;
      return { path, message: `must be one of ${listOf(options)}${got}${guess === undefined ? '' : `; did you mean ${guess}?`}` };
    }
    case 'pattern':
      return { path, message: `${typeof schema.patternErrorMessage === 'string' ? schema.patternErrorMessage : `must match ${String(schema.pattern)}`}${got}` };
    case 'minLength':
      return { path, message: schema.minLength === 1 ? 'must not be empty' : `must be at least ${String(schema.minLength)} characters${got}` };
    case 'maxLength':
      return { path, message: `must be at most ${String(schema.maxLength)} characters (got ${String((error.data as string).length)})` };
    case 'minProperties':
      return { path, message: 'must have at least one entry' };
    default:
      return { path, message: `must be ${describeExpected(schema)}${got}` };
  }
}

/** "an integer from 1 to 75", "an integer ≥ 0, or null", "true or false". */
function describeExpected(schema: SchemaNode): string {
  const types = (Array.isArray(schema.type) ? schema.type : [schema.type]).filter((t): t is string => typeof t === 'string');
  const nullable = types.includes('null');
  const parts = types.filter((t) => t !== 'null').map((type) => {
    switch (type) {
      case 'integer':
        return `an integer${describeRange(schema)}`;
      case 'number':
        return `a number${describeRange(schema)}`;
      case 'string':
        return 'a string';
      case 'boolean':
        return 'true or false';
      case 'array':
        return 'a list';
      case 'object':
        return 'an object (a mapping of keys to values)';
      default:
        return type;
    }
  });
  if (parts.length === 0) return nullable ? 'null' : 'valid';
  return nullable ? `${parts.join(' or ')}, or null` : parts.join(' or ');
}

function describeRange(schema: SchemaNode): string {
  const min = typeof schema.minimum === 'number' ? schema.minimum : undefined;
  const max = typeof schema.maximum === 'number' ? schema.maximum : undefined;
  const exclusiveMin = typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum : undefined;
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  const bounds: string[] = [];
  if (min !== undefined) bounds.push(`≥ ${min}`);
  if (exclusiveMin !== undefined) bounds.push(`> ${exclusiveMin}`);
  if (max !== undefined) bounds.push(`≤ ${max}`);
  return bounds.length === 0 ? '' : ` ${bounds.join(' and ')}`;
}

function listOf(values: readonly unknown[]): string {
  return values.map(String).join(', ');
}
