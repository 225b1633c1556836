import type { PlainObject } from './config-tree.js';
import { formatPath, getAt, isPlainObject } from './config-tree.js';
import { INPUT_TOPIC_KEYS, OUTPUT_TOPIC_KEYS } from './config-types.js';
import type { Problem } from './problem.js';
import { showValue } from './problem.js';

export interface CheckOptions {
  readonly requireBraze: boolean;
}

/**
 * Rules the JSON Schema cannot state (relations between keys, URL parsing, what to set when something is
 * missing), plus normalization of URLs. Runs on the merged tree even when the schema found problems, so
 * each check first makes sure the values it reads have the right type.
 */
export function checkConfig(tree: PlainObject, options: CheckOptions): Problem[] {
  return [
    ...checkBraze(tree, options),
    ...checkSchemaRegistry(tree),
    ...checkSasl(tree),
    ...checkKafkaTimings(tree),
    ...checkRetry(tree),
    ...checkTopics(tree),
    ...checkOutbound(tree),
  ];
}

/** What delivering braze.events needs: a URL and credentials for each destination a route names, HTTPS, a receiver token. */
function checkOutbound(tree: PlainObject): Problem[] {
  const outbound = getAt(tree, ['outbound']);
  if (!isPlainObject(outbound)) return [];
  const problems: Problem[] = [];
  const consume = getAt(tree, ['topics', 'consume']);
  const consumed = Array.isArray(consume) && consume.includes('brazeEvents');
  const routes = Array.isArray(outbound.routes) ? outbound.routes.filter(isPlainObject) : [];
  const insecure = outbound.allowInsecure === true;
  const mi = isPlainObject(outbound.movableInk) ? outbound.movableInk : {};
  const quikly = isPlainObject(outbound.quiklyWebhook) ? outbound.quiklyWebhook : {};
  for (const [path, value] of [[['outbound', 'movableInk', 'url'], mi.url], [['outbound', 'quiklyWebhook', 'url'], quikly.url]] as const) {
    if (typeof value !== 'string') continue;
    const url = parseHttpUrl(value);
    if (url === undefined) continue;
    if (url.protocol === 'http:' && !insecure) problems.push({ path: [...path], message: 'must be an https:// URL (set outbound.allowInsecure only for the sandbox and tests)' });
    if (url.username !== '' || url.password !== '') problems.push({ path: [...path], message: 'must not contain credentials: use the environment variables instead' });
  }
  (Array.isArray(outbound.routes) ? outbound.routes : []).forEach((route: unknown, i: number) => {
    if (!isPlainObject(route) || route.to !== 'quiklyWebhook') return;
    for (const key of ['qScope', 'eventId']) {
      if (route[key] === undefined) problems.push({ path: ['outbound', 'routes', i, key], message: `required in a route to quiklyWebhook (the ${key === 'qScope' ? 'q_scope' : 'event'} Quikly receives)` });
    }
  });
  if (consumed && routes.some((r) => r.to === 'movableInk')) {
    if (mi.url === null) problems.push({ path: ['outbound', 'movableInk', 'url'], message: 'required when a route goes to movableInk: the full behavioral URL Movable Ink gives you' });
    if (mi.username === null || mi.username === undefined) problems.push({ path: ['outbound', 'movableInk', 'username'], message: 'required when a route goes to movableInk: set MOVABLE_INK_USERNAME' });
    if (mi.password === null || mi.password === undefined) problems.push({ path: ['outbound', 'movableInk', 'password'], message: 'required when a route goes to movableInk: set MOVABLE_INK_PASSWORD' });
  }
  if (consumed && routes.some((r) => r.to === 'quiklyWebhook') && (quikly.token === null || quikly.token === undefined)) {
    problems.push({ path: ['outbound', 'quiklyWebhook', 'token'], message: 'required when a route goes to quiklyWebhook: set QUIKLY_API_KEY' });
  }
  const receiver = isPlainObject(outbound.receiver) ? outbound.receiver : {};
  if (receiver.enabled === true && receiver.port === null && getAt(tree, ['observability', 'port']) === null) {
    problems.push({ path: ['outbound', 'receiver', 'port'], message: 'the receiver needs a port: set outbound.receiver.port, or serve it on the observability server (observability.port not null)' });
  }
  if (receiver.enabled === true && (receiver.token === null || receiver.token === undefined)) {
    problems.push({ path: ['outbound', 'receiver', 'token'], message: 'required when outbound.receiver.enabled is true: set BRAZE_EVENTS_TOKEN' });
  }
  return problems;
}

const BRAZE_ENDPOINT_EXAMPLE = 'https://rest.iad-01.braze.com';

function checkBraze(tree: PlainObject, { requireBraze }: CheckOptions): Problem[] {
  const problems: Problem[] = [];
  const braze = getAt(tree, ['braze']);
  if (!isPlainObject(braze)) return problems;

  if (typeof braze.restEndpoint === 'string') {
    const url = parseHttpUrl(braze.restEndpoint);
    // The schema's pattern reports other shapes; this catches what only a URL parser notices (bad host, port).
    if (url === undefined) {
      if (/^https?:\/\/[^\s/?#@]+\/?$/.test(braze.restEndpoint)) {
        problems.push({ path: ['braze', 'restEndpoint'], message: `must be a valid URL such as ${BRAZE_ENDPOINT_EXAMPLE} (got ${showValue(['braze', 'restEndpoint'], braze.restEndpoint)})` });
      }
    } else if (url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '') {
      // Endpoint paths are appended to this, so a trailing slash would double up.
      braze.restEndpoint = url.origin;
    }
  } else if (braze.restEndpoint === null && requireBraze) {
    problems.push({
      path: ['braze', 'restEndpoint'],
      message: `required: set BRAZE_REST_ENDPOINT (or braze.restEndpoint in the config file) to your Braze instance's REST URL, e.g. ${BRAZE_ENDPOINT_EXAMPLE}`,
    });
  }

  if (braze.apiKey === null && requireBraze) {
    problems.push({
      path: ['braze', 'apiKey'],
      message: 'required: set BRAZE_API_KEY to a Braze REST API key (braze.apiKey in the config file also works, but keeps a secret in a file)',
    });
  }
  return problems;
}

function checkSchemaRegistry(tree: PlainObject): Problem[] {
  const problems: Problem[] = [];
  const registry = getAt(tree, ['schemaRegistry']);
  if (!isPlainObject(registry)) return problems;

  if (typeof registry.url === 'string' && /^https?:\/\/\S+$/.test(registry.url)) {
    const url = parseHttpUrl(registry.url);
    if (url === undefined) {
      problems.push({ path: ['schemaRegistry', 'url'], message: `must be a valid URL such as http://schema-registry:8081 (got ${showValue(['schemaRegistry', 'url'], registry.url)})` });
    } else if (url.username !== '' || url.password !== '') {
      problems.push({
        path: ['schemaRegistry', 'url'],
        message: 'must not contain credentials: move them to schemaRegistry.username and schemaRegistry.password (or SCHEMA_REGISTRY_USERNAME and SCHEMA_REGISTRY_PASSWORD)',
      });
    } else {
      registry.url = registry.url.replace(/\/+$/, '');
    }
  }

  const hasUser = typeof registry.username === 'string';
  const hasPassword = typeof registry.password === 'string';
  if (hasUser !== hasPassword) {
    const [missing, env] = hasUser ? ['password', 'SCHEMA_REGISTRY_PASSWORD'] : ['username', 'SCHEMA_REGISTRY_USERNAME'];
    problems.push({
      path: ['schemaRegistry', missing],
      message: `required when schemaRegistry.${hasUser ? 'username' : 'password'} is set: set ${env} or schemaRegistry.${missing}`,
    });
  }
  return problems;
}

const SASL_ENV: Record<string, string> = {
  mechanism: 'KAFKA_SASL_MECHANISM',
  username: 'KAFKA_SASL_USERNAME',
  password: 'KAFKA_SASL_PASSWORD',
};

function checkSasl(tree: PlainObject): Problem[] {
  const sasl = getAt(tree, ['kafka', 'sasl']);
  if (!isPlainObject(sasl)) return [];
  return Object.entries(SASL_ENV)
    .filter(([key]) => sasl[key] === undefined)
    .map(([key, env]) => ({
      path: ['kafka', 'sasl', key],
      message: `required when kafka.sasl is set: set ${env} or kafka.sasl.${key}${key === 'mechanism' ? ' (plain, scram-sha-256 or scram-sha-512)' : ''}`,
    }));
}

function checkKafkaTimings(tree: PlainObject): Problem[] {
  const heartbeat = getAt(tree, ['kafka', 'heartbeatIntervalMs']);
  const session = getAt(tree, ['kafka', 'sessionTimeoutMs']);
  if (typeof heartbeat === 'number' && typeof session === 'number' && heartbeat >= session) {
    return [{
      path: ['kafka', 'heartbeatIntervalMs'],
      message: `must be less than kafka.sessionTimeoutMs (${session}), or the group drops members between heartbeats; a third of it is usual (got ${heartbeat})`,
    }];
  }
  return [];
}

function checkRetry(tree: PlainObject): Problem[] {
  const base = getAt(tree, ['braze', 'retry', 'baseMs']);
  const max = getAt(tree, ['braze', 'retry', 'maxMs']);
  if (typeof base === 'number' && typeof max === 'number' && max < base) {
    return [{ path: ['braze', 'retry', 'maxMs'], message: `must be at least braze.retry.baseMs (${base}) (got ${max})` }];
  }
  return [];
}

/** Two keys on one topic would make one partner's records be read as another's, or dead letters be re-read. */
function checkTopics(tree: PlainObject): Problem[] {
  const topics = getAt(tree, ['topics']);
  if (!isPlainObject(topics) || !Array.isArray(topics.consume)) return [];
  const consumed = INPUT_TOPIC_KEYS.filter((key) => (topics.consume as unknown[]).includes(key));
  const owners = new Map<string, string>();
  const problems: Problem[] = [];
  for (const key of [...consumed, ...OUTPUT_TOPIC_KEYS]) {
    const name = topics[key];
    if (typeof name !== 'string') continue;
    const owner = owners.get(name);
    if (owner === undefined) {
      owners.set(name, key);
      continue;
    }
    const ownerIsOutput = (OUTPUT_TOPIC_KEYS as readonly string[]).includes(owner);
    const why = ownerIsOutput
      ? 'dead letters and Quikly credits need separate topics'
      : key === 'deadLetter'
        ? 'dead letters would be consumed again'
        : key === 'quiklyCredits' ? 'the credits tributary writes would be consumed again' : 'each consumed topic needs its own name';
    problems.push({
      path: ['topics', key],
      message: `must differ from ${formatPath(['topics', owner])}, which is also ${JSON.stringify(name)}: ${why}`,
    });
  }
  return problems;
}

function parseHttpUrl(text: string): URL | undefined {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
