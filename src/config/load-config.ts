import { readFile } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { checkConfig } from './check-config.js';
import { ConfigError } from './config-error.js';
import type { PlainObject } from './config-tree.js';
import { deepFreeze, getAt, isPlainObject, mergeInto } from './config-tree.js';
import type { DeepPartial, TributaryConfig } from './config-types.js';
import { mutableDefaults } from './default-config.js';
import type { Problem } from './problem.js';
import { renderProblem, sourceKey } from './problem.js';
import type { Env } from './read-env-config.js';
import { readEnvConfig } from './read-env-config.js';
import { schemaProblems } from './schema-problems.js';

export interface LoadConfigOptions {
  /** JSON or YAML config file. Relative paths resolve against the working directory. */
  file?: string;
  /** Defaults to `process.env`. Tests pass their own so the developer's environment cannot leak in. */
  env?: Env;
  /** Applied last, over the file and the env: for the CLI's flags and for tests. */
  overrides?: DeepPartial<TributaryConfig>;
  /** Default true: braze.restEndpoint and braze.apiKey must be set. Commands that never call Braze pass false. */
  requireBraze?: boolean;
}

/**
 * Builds the configuration: defaults, then the file, then the env vars, then `overrides`; validates the
 * result and deep-freezes it. Throws one ConfigError listing every problem.
 */
export async function loadConfig(options: LoadConfigOptions = {}): Promise<TributaryConfig> {
  const tree = mutableDefaults();
  const sources = new Map<string, string>();
  let file: string | undefined;
  let baseDir = process.cwd();

  if (options.file !== undefined) {
    file = resolve(options.file);
    baseDir = dirname(file);
    mergeInto(tree, await readConfigFile(file));
  }

  const env = readEnvConfig(options.env ?? process.env);
  mergeInto(tree, env.patch);
  for (const [key, name] of env.sources) sources.set(key, name);

  if (options.overrides !== undefined) {
    const overrides = options.overrides as unknown as PlainObject;
    mergeInto(tree, overrides);
    for (const path of leafPaths(overrides)) sources.set(sourceKey(path), 'overrides');
  }

  const problems: Problem[] = [
    ...schemaProblems(tree),
    ...checkConfig(tree, { requireBraze: options.requireBraze ?? true }),
    ...(await readPemFiles(tree, (path) => (sources.has(sourceKey(path)) || file === undefined ? process.cwd() : baseDir))),
  ];
  if (problems.length > 0) {
    // Grouped by section, in the order the docs and the example file use; stable within a section.
    const ordered = [...problems].sort((a, b) => sectionRank(a) - sectionRank(b));
    throw new ConfigError(ordered.map((problem) => renderProblem(problem, sources)), { file });
  }

  // Editor hint only: see the `$schema` property of the schema.
  delete tree.$schema;
  return deepFreeze(tree) as unknown as TributaryConfig;
}

async function readConfigFile(file: string): Promise<PlainObject> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === 'ENOENT' ? 'not found' : code === 'EISDIR' ? 'is a directory, not a file' : code === 'EACCES' ? 'permission denied' : String((err as Error).message);
    throw new ConfigError([`config file ${file}: ${reason}`], { cause: err });
  }
  text = text.replace(/^\uFEFF/, '');

  const extension = extname(file).toLowerCase();
  const isJson = extension === '.json' || (extension !== '.yaml' && extension !== '.yml' && /^\s*\{/.test(text));
  let value: unknown;
  if (isJson) {
    try {
      value = JSON.parse(text);
    } catch (err) {
      throw new ConfigError([`${file}: not valid JSON: ${(err as Error).message}`], { cause: err });
    }
  } else {
    const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (document.errors.length > 0) {
      // The library's messages continue with a code excerpt on later lines; the first line says it all.
      throw new ConfigError(document.errors.map((error) => `${file}: not valid YAML: ${error.message.split('\n')[0]}`));
    }
    value = document.toJS({ maxAliasCount: 100 });
  }

  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) {
    throw new ConfigError([`${file}: must hold keys and values at the top level (such as kafka: and braze:), not ${Array.isArray(value) ? 'a list' : JSON.stringify(value)}`]);
  }
  return dropEmptySections(value, mutableDefaults());
}

/**
 * In YAML, a section whose keys are all commented out (`retry:` and nothing under it) reads as null.
 * Where the default is an object, that means "use the defaults", not "set to null".
 */
function dropEmptySections(value: PlainObject, defaults: PlainObject): PlainObject {
  for (const [key, child] of Object.entries(value)) {
    const fallback = defaults[key];
    if (!isPlainObject(fallback)) continue;
    if (child === null) delete value[key];
    else if (isPlainObject(child)) dropEmptySections(child, fallback);
  }
  return value;
}

const SECTIONS = ['kafka', 'schemaRegistry', 'braze', 'topics', 'partners', 'pipeline', 'observability'];

function sectionRank(problem: Problem): number {
  const rank = SECTIONS.indexOf(String(problem.path[0]));
  return rank === -1 ? SECTIONS.length : rank;
}

const PEM_KEYS = ['ca', 'cert', 'key'] as const;

/** TLS material may be given as PEM text or as a path; paths are replaced by the file's contents. */
async function readPemFiles(tree: PlainObject, baseDirFor: (path: readonly string[]) => string): Promise<Problem[]> {
  const ssl = getAt(tree, ['kafka', 'ssl']);
  if (!isPlainObject(ssl)) return [];
  const problems: Problem[] = [];
  for (const key of PEM_KEYS) {
    const value = ssl[key];
    if (typeof value !== 'string' || value === '' || value.includes('-----BEGIN')) continue;
    const path = ['kafka', 'ssl', key];
    // Something this long or multi-line is mangled PEM, not a path; echoing it could print a private key.
    if (value.length > 1024 || /[\r\n]/.test(value)) {
      problems.push({ path, message: 'must be PEM text (with its "-----BEGIN" line) or the path of a PEM file' });
      continue;
    }
    const pemFile = resolve(baseDirFor(path), value);
    try {
      const text = await readFile(pemFile, 'utf8');
      if (text.includes('-----BEGIN')) ssl[key] = text;
      else problems.push({ path, message: `${pemFile} is not a PEM file (it has no "-----BEGIN" line)` });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({ path, message: `cannot read ${pemFile}: ${code === 'ENOENT' ? 'no such file' : String((err as Error).message)}` });
    }
  }
  return problems;
}

function leafPaths(tree: PlainObject, prefix: readonly string[] = []): string[][] {
  return Object.entries(tree).flatMap(([key, value]) => {
    if (value === undefined) return [];
    const path = [...prefix, key];
    return isPlainObject(value) && Object.keys(value).length > 0 ? leafPaths(value, path) : [path];
  });
}
