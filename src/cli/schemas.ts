import { fileURLToPath } from 'node:url';
import { parseCommand, UsageError, wantsHelp, type FlagSpec } from './args.js';
import { defaultConfig, loadConfig, type TributaryConfig } from '../config/index.js';
import { checkCompatibility, publishSchemas, readTopicSchemas, type CompatibilityVerdict } from '../adapters/schema-registry/schema-publisher.js';

/** The Avro schemas shipped with tributary (schemas/ at the package root, from src/cli and dist/cli alike). */
export const SHIPPED_SCHEMAS_DIR = fileURLToPath(new URL('../../schemas', import.meta.url));

const COMMON: FlagSpec = {
  config: { type: 'string', help: 'configuration file (JSON or YAML): the registry (schemaRegistry.*) and the topic names' },
  schemas: { type: 'string', help: 'folder of <default topic name>.avsc files (default: the schemas shipped with tributary)' },
};
const REGISTER_FLAGS: FlagSpec = { ...COMMON, 'dry-run': { type: 'boolean', help: 'print what would be registered, register nothing' }, help: { type: 'boolean', help: 'show this help' } };
const CHECK_FLAGS: FlagSpec = { ...COMMON, json: { type: 'boolean', help: 'print one JSON document instead of the list' }, help: { type: 'boolean', help: 'show this help' } };

const REGISTER_USAGE = 'tributary schemas register [--config FILE] [--schemas DIR] [--dry-run]';
const CHECK_USAGE = 'tributary schemas check [--config FILE] [--schemas DIR] [--json]';
const USAGE = `${REGISTER_USAGE}\n       ${CHECK_USAGE}`;
const EPILOG = 'Subjects follow the TopicNameStrategy: <configured topic name>-value. A schema file is named after the topic\'s default name (docs/topics.md); the configuration maps it to the configured name.';

export interface LocalSchema {
  readonly file: string;
  readonly topic: string;
  readonly subject: string;
  readonly schema: object;
}

/** Each `<default topic>.avsc` with the subject it belongs to under this configuration's topic names. */
export function localSchemas(config: TributaryConfig, dir: string): LocalSchema[] {
  const defaults = defaultConfig().topics as unknown as Record<string, unknown>;
  const configured = config.topics as unknown as Record<string, unknown>;
  const byDefault = new Map<string, string>();
  for (const [key, name] of Object.entries(defaults)) if (typeof name === 'string') byDefault.set(name, String(configured[key]));
  return [...readTopicSchemas(dir)].map(([defaultTopic, schema]) => {
    const topic = byDefault.get(defaultTopic) ?? defaultTopic;
    return { file: `${defaultTopic}.avsc`, topic, subject: `${topic}-value`, schema };
  });
}

function registryOf(config: TributaryConfig): { url: string; auth: { username: string | null; password: string | null } } {
  const { url, username, password } = config.schemaRegistry;
  if (url === null) throw new UsageError('schemaRegistry.url is null: set SCHEMA_REGISTRY_URL or schemaRegistry.url');
  return { url, auth: { username, password } };
}

async function register(argv: string[]): Promise<number> {
  const { flags, helped } = parseCommand(argv, REGISTER_FLAGS, REGISTER_USAGE, { epilog: EPILOG });
  if (helped) return 0;
  const config = await loadConfig({ ...(flags.config ? { file: flags.config as string } : {}), requireBraze: false });
  const { url, auth } = registryOf(config);
  const schemas = localSchemas(config, (flags.schemas as string | undefined) ?? SHIPPED_SCHEMAS_DIR);
  if (flags['dry-run']) {
    for (const s of schemas) process.stdout.write(`would register ${s.file} as ${s.subject} on ${url}\n`);
    return 0;
  }
  const byTopic = new Map(schemas.map((s) => [s.file.slice(0, -'.avsc'.length), s]));
  const published = await publishSchemas(url, new Map(schemas.map((s) => [s.file.slice(0, -'.avsc'.length), s.schema])), (t) => byTopic.get(t)?.topic ?? t, auth);
  for (const s of schemas) process.stdout.write(`registered ${s.file} as ${s.subject} (schema id ${published.get(s.topic)?.id ?? '?'})\n`);
  return 0;
}

export interface CheckResult {
  readonly subject: string;
  readonly file: string;
  readonly result: CompatibilityVerdict;
}

async function check(argv: string[]): Promise<number> {
  const { flags, helped } = parseCommand(argv, CHECK_FLAGS, CHECK_USAGE, { epilog: `${EPILOG} Exits 1 when a schema breaks its subject's compatibility level; a subject not registered yet is "new", not a failure.` });
  if (helped) return 0;
  const config = await loadConfig({ ...(flags.config ? { file: flags.config as string } : {}), requireBraze: false });
  const { url, auth } = registryOf(config);
  const results: CheckResult[] = [];
  for (const s of localSchemas(config, (flags.schemas as string | undefined) ?? SHIPPED_SCHEMAS_DIR)) {
    results.push({ subject: s.subject, file: s.file, result: await checkCompatibility(url, s.subject, s.schema, auth) });
  }
  const broken = results.filter((r) => r.result.verdict === 'incompatible');
  if (flags.json) {
    process.stdout.write(JSON.stringify({ ok: broken.length === 0, subjects: results.map((r) => ({ subject: r.subject, file: r.file, ...r.result })) }, null, 2) + '\n');
  } else {
    const width = Math.max(...results.map((r) => r.subject.length), 0);
    for (const r of results) process.stdout.write(`${r.subject.padEnd(width)}  ${r.result.verdict}${r.result.verdict === 'new' ? ' (not registered yet)' : ''}\n`);
    if (broken.length > 0) {
      process.stdout.write(`\n${broken.length} schema${broken.length === 1 ? ' breaks its subject' : 's break their subjects'} on ${url}:\n`);
      for (const r of broken) {
        const reasons = r.result.verdict === 'incompatible' ? r.result.reasons : [];
        process.stdout.write(`  ${r.subject} (${r.file}):\n${reasons.map((reason) => `    - ${reason}`).join('\n')}\n`);
      }
    }
  }
  return broken.length === 0 ? 0 : 1;
}

/** `tributary schemas register|check`. */
export async function schemasCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'register') return register(rest);
  if (sub === 'check') return check(rest);
  if (sub !== undefined && wantsHelp([sub])) {
    process.stdout.write(`usage: ${USAGE}\n\n${EPILOG}\nRun \`tributary schemas register --help\` or \`tributary schemas check --help\` for their options.\n`);
    return 0;
  }
  throw new UsageError(sub === undefined ? 'which subcommand? (register or check)' : `unknown subcommand ${JSON.stringify(sub)}`, `usage: ${USAGE}`);
}
