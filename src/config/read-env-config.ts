import type { PlainObject } from './config-tree.js';
import { setAt } from './config-tree.js';
import { sourceKey } from './problem.js';

export type Env = Record<string, string | undefined>;

/** Where each env var lands in the config tree, and how its text becomes a value. */
interface EnvBinding {
  readonly name: string;
  readonly path: readonly string[];
  readonly parse: (raw: string) => unknown;
  /** A blank value is a mistake, not "unset": falling back to the default would point somewhere else. */
  readonly blankIsAnError?: boolean;
}

const text = (raw: string): unknown => raw;

/** `off` stands for null, which env vars cannot otherwise express. */
const offOr = (parse: (raw: string) => unknown) => (raw: string): unknown => (raw.toLowerCase() === 'off' ? null : parse(raw));

/** Numbers are converted only when they look like one, so validation reports the original text otherwise. */
const integerText = (raw: string): unknown => (/^-?\d+$/.test(raw) ? Number(raw) : raw);

const brokerList = (raw: string): unknown => raw.split(',').map((broker) => broker.trim()).filter((broker) => broker !== '');

export const ENV_BINDINGS: readonly EnvBinding[] = [
  { name: 'KAFKA_BROKERS', path: ['kafka', 'brokers'], parse: brokerList, blankIsAnError: true },
  { name: 'KAFKA_SASL_MECHANISM', path: ['kafka', 'sasl', 'mechanism'], parse: text },
  { name: 'KAFKA_SASL_USERNAME', path: ['kafka', 'sasl', 'username'], parse: text },
  { name: 'KAFKA_SASL_PASSWORD', path: ['kafka', 'sasl', 'password'], parse: text },
  { name: 'SCHEMA_REGISTRY_URL', path: ['schemaRegistry', 'url'], parse: offOr(text) },
  { name: 'SCHEMA_REGISTRY_USERNAME', path: ['schemaRegistry', 'username'], parse: text },
  { name: 'SCHEMA_REGISTRY_PASSWORD', path: ['schemaRegistry', 'password'], parse: text },
  { name: 'BRAZE_REST_ENDPOINT', path: ['braze', 'restEndpoint'], parse: text },
  { name: 'BRAZE_API_KEY', path: ['braze', 'apiKey'], parse: text },
  { name: 'MOVABLE_INK_USERNAME', path: ['outbound', 'movableInk', 'username'], parse: text },
  { name: 'MOVABLE_INK_PASSWORD', path: ['outbound', 'movableInk', 'password'], parse: text },
  { name: 'QUIKLY_API_KEY', path: ['outbound', 'quiklyWebhook', 'token'], parse: text },
  { name: 'BRAZE_EVENTS_TOKEN', path: ['outbound', 'receiver', 'token'], parse: text },
  { name: 'TRIBUTARY_LOG_LEVEL', path: ['observability', 'logLevel'], parse: text },
  { name: 'TRIBUTARY_METRICS_PORT', path: ['observability', 'port'], parse: offOr(integerText) },
];

export interface EnvConfig {
  /** A partial config tree holding only what the env sets. */
  readonly patch: PlainObject;
  /** Config key path (as `sourceKey`) -> the env var that set it, so problems can name the variable to fix. */
  readonly sources: ReadonlyMap<string, string>;
}

/**
 * Reads tributary's env vars into a partial config tree. An empty (or all-blank) variable counts as unset:
 * deployment templates often render `FOO=` for "not configured". Except KAFKA_BROKERS: an empty list is
 * refused rather than silently replaced by 127.0.0.1:9092. Secrets are kept exactly as given, since
 * validation reports stray whitespace or quotes instead of silently changing a credential.
 */
export function readEnvConfig(env: Env): EnvConfig {
  const patch: PlainObject = {};
  const sources = new Map<string, string>();
  for (const binding of ENV_BINDINGS) {
    const raw = env[binding.name];
    if (raw === undefined || (raw.trim() === '' && !binding.blankIsAnError)) continue;
    setAt(patch, binding.path, binding.parse(raw));
    sources.set(sourceKey(binding.path), binding.name);
  }
  return { patch, sources };
}
