import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfig } from '../../../src/config/index.js';
import type { LoadConfigOptions, TributaryConfig } from '../../../src/config/index.js';
import type { PartnerOptions } from '../../../src/partners/options.js';

const BRAZE_ENV = { BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com', BRAZE_API_KEY: 'a1b2c3d4-0000-4000-8000-000000000001' };

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'tributary-config-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeConfig(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

/** Loads with only the env given here, so the developer's own environment never leaks into a test. */
function load(options: LoadConfigOptions = {}): Promise<TributaryConfig> {
  return loadConfig({ ...options, env: { ...BRAZE_ENV, ...options.env } });
}

async function errorOf(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(() => undefined, (err: unknown) => err);
  expect(error).toBeInstanceOf(ConfigError);
  return error as ConfigError;
}

async function problemsOf(promise: Promise<unknown>): Promise<readonly string[]> {
  return (await errorOf(promise)).problems;
}

describe('loadConfig', () => {
  it('returns the defaults when there is no file, env or override', async () => {
    const config = await loadConfig({ env: {}, requireBraze: false });
    expect(config).toEqual(defaultConfig());
  });

  it('reads a YAML file over the defaults', async () => {
    const file = await writeConfig('tributary.yaml', [
      'kafka:',
      '  groupId: tributary-eu',
      '  startFrom: latest',
      'braze:',
      '  lingerMs: 10',
      '  rateLimits:',
      '    users.track: { limit: 1500 }',
      'partners:',
      '  extole:',
      '    rewardStates: [FULFILLED, EARNED]',
    ].join('\n'));
    const config = await load({ file });
    expect(config.kafka.groupId).toBe('tributary-eu');
    expect(config.kafka.startFrom).toBe('latest');
    expect(config.kafka.clientId).toBe('tributary');
    expect(config.braze.lingerMs).toBe(10);
    expect(config.braze.rateLimits['users.track']).toEqual({ limit: 1500, windowMs: 3000 });
    expect(config.partners.extole.rewardStates).toEqual(['FULFILLED', 'EARNED']);
  });

  it('reads a JSON file, by extension or by content, and ignores its $schema hint', async () => {
    const json = JSON.stringify({ $schema: '../schemas/tributary-config.schema.json', pipeline: { maxInFlightOps: 500 } });
    for (const name of ['tributary.json', 'tributary.conf']) {
      const config = await load({ file: await writeConfig(name, json) });
      expect(config.pipeline.maxInFlightOps).toBe(500);
      expect(config).not.toHaveProperty('$schema');
    }
  });

  it('treats an empty file, and a YAML section with every key commented out, as defaults', async () => {
    expect(await load({ file: await writeConfig('empty.yaml', '') })).toEqual(await load());
    const config = await load({ file: await writeConfig('sections.yaml', 'braze:\n  retry:\n    # maxAttempts: 3\npipeline:\n') });
    expect(config.braze.retry).toEqual(defaultConfig().braze.retry);
    expect(config.pipeline).toEqual(defaultConfig().pipeline);
  });

  it('lets env vars win over the file', async () => {
    const file = await writeConfig('tributary.yaml', [
      'kafka: { brokers: ["file-broker:9092"] }',
      'braze: { restEndpoint: "https://rest.fra-01.braze.eu", apiKey: from-file }',
      'observability: { logLevel: warn, port: 9000 }',
      'schemaRegistry: { url: "http://file-registry:8081" }',
    ].join('\n'));
    const config = await loadConfig({
      file,
      env: {
        KAFKA_BROKERS: 'env-broker:9092',
        BRAZE_REST_ENDPOINT: 'https://rest.iad-02.braze.com',
        BRAZE_API_KEY: 'from-env',
        TRIBUTARY_LOG_LEVEL: 'debug',
        TRIBUTARY_METRICS_PORT: '0',
        SCHEMA_REGISTRY_URL: 'https://registry.example.com/',
      },
    });
    expect(config.kafka.brokers).toEqual(['env-broker:9092']);
    expect(config.braze.restEndpoint).toBe('https://rest.iad-02.braze.com');
    expect(config.braze.apiKey).toBe('from-env');
    expect(config.observability).toMatchObject({ logLevel: 'debug', port: 0 });
    expect(config.schemaRegistry.url).toBe('https://registry.example.com');
  });

  it('splits KAFKA_BROKERS on commas, trimming spaces and skipping empty entries', async () => {
    const config = await load({ env: { KAFKA_BROKERS: ' b-1.kafka:9092, b-2.kafka:9092,,[::1]:9093 ' } });
    expect(config.kafka.brokers).toEqual(['b-1.kafka:9092', 'b-2.kafka:9092', '[::1]:9093']);
  });

  it('treats an empty env var as unset', async () => {
    const config = await load({ env: { SCHEMA_REGISTRY_URL: '', TRIBUTARY_LOG_LEVEL: '  ' } });
    expect(config.schemaRegistry.url).toBe('http://127.0.0.1:8081');
    expect(config.observability.logLevel).toBe('info');
  });

  it('refuses an empty KAFKA_BROKERS instead of falling back to 127.0.0.1:9092', async () => {
    const problems = await problemsOf(load({ env: { KAFKA_BROKERS: ' , ' } }));
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^kafka\.brokers \(from KAFKA_BROKERS\): /);
  });

  it('switches the metrics server and Avro decoding off when their env var says off', async () => {
    const config = await load({ env: { TRIBUTARY_METRICS_PORT: 'off', SCHEMA_REGISTRY_URL: 'off' } });
    expect(config.observability.port).toBeNull();
    expect(config.schemaRegistry.url).toBeNull();
  });

  it('builds SASL settings from the env, with the mechanism from the file', async () => {
    const file = await writeConfig('tributary.yaml', 'kafka:\n  ssl: true\n  sasl: { mechanism: scram-sha-512 }\n');
    const config = await load({ file, env: { KAFKA_SASL_USERNAME: 'svc-tributary', KAFKA_SASL_PASSWORD: 's3cret' } });
    expect(config.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'svc-tributary', password: 's3cret' });
    expect(config.kafka.ssl).toBe(true);
  });

  it('applies overrides last, over the file and the env', async () => {
    const file = await writeConfig('tributary.yaml', 'braze: { lingerMs: 5 }\n');
    const config = await load({
      file,
      env: { TRIBUTARY_LOG_LEVEL: 'debug' },
      overrides: { braze: { lingerMs: 0 }, observability: { logLevel: 'silent' } },
    });
    expect(config.braze.lingerMs).toBe(0);
    expect(config.observability.logLevel).toBe('silent');
  });

  it('strips the trailing slash from the Braze REST endpoint', async () => {
    const config = await load({ env: { BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com/' } });
    expect(config.braze.restEndpoint).toBe('https://rest.iad-01.braze.com');
  });

  it('returns a deep-frozen tree', async () => {
    const config = await load({ overrides: { partners: { komo: { hubs: { h1: { userMatch: 'braze_id', fields: { a: 'b' } } } } } } });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.kafka.brokers)).toBe(true);
    expect(Object.isFrozen(config.braze.rateLimits['users.track'])).toBe(true);
    expect(Object.isFrozen(config.partners.komo.hubs.h1!.fields)).toBe(true);
    expect(() => {
      (config.braze as { lingerMs: number }).lingerMs = 1;
    }).toThrow(TypeError);
  });

  it('round-trips a Komo hub into the partner options the mapper reads', async () => {
    const file = await writeConfig('tributary.yaml', [
      'partners:',
      '  komo:',
      '    hubs:',
      '      summer-2024:',
      '        userMatch: email_alias',
      '        fields:',
      '          favourite_colour: komo_favourite_colour',
      '          "shoe size": komo_shoe_size',
      '      "42":',
      '        userMatch: external_id',
      '        fields: { opt_in: komo_opt_in }',
    ].join('\n'));
    const config = await load({ file });
    const options: PartnerOptions = config.partners;
    expect(options.komo.hubs).toEqual({
      'summer-2024': { userMatch: 'email_alias', fields: { favourite_colour: 'komo_favourite_colour', 'shoe size': 'komo_shoe_size' } },
      '42': { userMatch: 'external_id', fields: { opt_in: 'komo_opt_in' } },
    });
  });

  it('reads TLS material given as file paths, relative to the config file', async () => {
    const pem = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';
    await writeFile(join(dir, 'ca.pem'), pem);
    const file = await writeConfig('tributary.yaml', 'kafka:\n  ssl:\n    ca: ./ca.pem\n    rejectUnauthorized: true\n');
    const config = await load({ file });
    expect(config.kafka.ssl).toEqual({ ca: pem, rejectUnauthorized: true });
  });
});

describe('loadConfig problems', () => {
  it('lists every problem in the file at once', async () => {
    const file = await writeConfig('tributary.yaml', [
      'braze:',
      '  lingerMs: -5',
      '  objectLimitMode: combine',
      'topics:',
      '  deadLetter: "dead letters"',
    ].join('\n'));
    const problems = await problemsOf(load({ file }));
    expect(problems).toEqual([
      'braze.objectLimitMode: must be one of combined, legacy (got "combine"); did you mean combined?',
      'braze.lingerMs: must be an integer ≥ 0 (got -5)',
      'topics.deadLetter: must be a Kafka topic name: 1 to 249 of a-z A-Z 0-9 . _ - (and not "." or "..") (got "dead letters")',
    ]);
  });

  it('puts every problem in the message, one per line, with the file it came from', async () => {
    const file = await writeConfig('tributary.yaml', 'braze: { lingerMs: -5, maxObjectsPerRequest: 100 }\n');
    const error = await errorOf(load({ file }));
    expect(error.code).toBe('config_invalid');
    expect(error.retryable).toBe(false);
    expect(error.message.split('\n')).toEqual([
      `invalid configuration (2 problems with config file ${file}):`,
      '  - braze.maxObjectsPerRequest: must be an integer from 1 to 75 (got 100)',
      '  - braze.lingerMs: must be an integer ≥ 0 (got -5)',
    ]);
  });

  it('names an unknown key and suggests the key that was probably meant', async () => {
    const file = await writeConfig('tributary.yaml', 'kafka:\n  brokerz: ["a:9092"]\nobservabilty: {}\n');
    expect(await problemsOf(load({ file }))).toEqual([
      'unknown key kafka.brokerz; did you mean kafka.brokers?',
      'unknown key observabilty; did you mean observability?',
    ]);
  });

  it('refuses kafka.fromBeginning of earlier releases with the startFrom value to write instead', async () => {
    const file = await writeConfig('tributary.yaml', 'kafka:\n  fromBeginning: false\n  startFrom: first\n');
    expect(await problemsOf(load({ file }))).toEqual([
      'kafka.fromBeginning: was replaced by kafka.startFrom: write startFrom: earliest (for fromBeginning: true) or startFrom: latest (for false)',
      'kafka.startFrom: must be one of earliest, latest (got "first")',
    ]);
  });

  it('lists the known keys when an unknown key resembles none of them', async () => {
    const [problem] = await problemsOf(load({ overrides: { pipeline: { flux: 1 } as never } }));
    expect(problem).toBe('unknown key pipeline.flux (from overrides); known keys of pipeline: maxInFlightOps, shutdownTimeoutMs, commitIntervalMs');
  });

  it('says which path is missing when the file does not exist', async () => {
    const file = join(dir, 'nope.yaml');
    expect(await problemsOf(load({ file }))).toEqual([`config file ${file}: not found`]);
  });

  it('reports invalid YAML with its line and column', async () => {
    const file = await writeConfig('tributary.yaml', 'kafka:\n  groupId: a\n  groupId: b\n');
    const [problem] = await problemsOf(load({ file }));
    expect(problem).toMatch(/^.*tributary\.yaml: not valid YAML: Map keys must be unique.*line 3, column 3/);
  });

  it('reports invalid JSON', async () => {
    const file = await writeConfig('tributary.json', '{ "kafka": }');
    const [problem] = await problemsOf(load({ file }));
    expect(problem).toMatch(/tributary\.json: not valid JSON: /);
  });

  it('requires the Braze endpoint and key by default, naming the env vars to set', async () => {
    const problems = await problemsOf(loadConfig({ env: {} }));
    expect(problems).toHaveLength(2);
    expect(problems[0]).toMatch(/^braze\.restEndpoint: required: set BRAZE_REST_ENDPOINT /);
    expect(problems[1]).toMatch(/^braze\.apiKey: required: set BRAZE_API_KEY /);
  });

  it('does not require Braze settings when requireBraze is off, but still checks them when given', async () => {
    const config = await loadConfig({ env: {}, requireBraze: false });
    expect(config.braze.restEndpoint).toBeNull();
    expect(config.braze.apiKey).toBeNull();
    const problems = await problemsOf(loadConfig({ env: { BRAZE_REST_ENDPOINT: 'rest.iad-01.braze.com' }, requireBraze: false }));
    expect(problems).toEqual([
      'braze.restEndpoint (from BRAZE_REST_ENDPOINT): must be your Braze instance\'s REST base URL with no path, e.g. https://rest.iad-01.braze.com (got "rest.iad-01.braze.com")',
    ]);
  });

  it('rejects a Braze endpoint with a path, since tributary appends the endpoint paths itself', async () => {
    const [problem] = await problemsOf(load({ env: { BRAZE_REST_ENDPOINT: 'https://rest.iad-01.braze.com/users/track' } }));
    expect(problem).toMatch(/^braze\.restEndpoint \(from BRAZE_REST_ENDPOINT\): .*no path/);
  });

  it('explains that Braze answers 401 to a quoted API key, without printing the key', async () => {
    const key = '"a1b2c3d4-0000-4000-8000-000000000001"';
    const error = await errorOf(load({ env: { BRAZE_API_KEY: key } }));
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^braze\.apiKey \(from BRAZE_API_KEY\): .*quotes.*401/);
    expect(error.message).not.toContain('a1b2c3d4');
  });

  it('says an empty API key is empty, once', async () => {
    expect(await problemsOf(load({ overrides: { braze: { apiKey: '' } } }))).toEqual(['braze.apiKey (from overrides): must not be empty']);
  });

  it('never prints a secret in a problem', async () => {
    const secret = 'hunter2 with spaces';
    const file = await writeConfig('tributary.yaml', [
      'kafka: { sasl: { mechanism: PLAIN, username: u, password: 42 } }',
      `schemaRegistry: { url: "http://user:${encodeURIComponent(secret)}@registry:8081", username: u, password: "" }`,
      'kafka_typo: 1',
    ].join('\n'));
    const error = await errorOf(load({ file, env: { BRAZE_API_KEY: secret } }));
    expect(error.problems.length).toBeGreaterThanOrEqual(5);
    expect(error.message).not.toContain('hunter2');
    expect(error.message).not.toContain(encodeURIComponent(secret));
    expect(error.message).toContain('kafka.sasl.password: must be a string (got a number)');
  });

  it('asks for the missing SASL settings by their env var', async () => {
    const problems = await problemsOf(load({ env: { KAFKA_SASL_USERNAME: 'svc' } }));
    expect(problems).toEqual([
      'kafka.sasl.mechanism: required when kafka.sasl is set: set KAFKA_SASL_MECHANISM or kafka.sasl.mechanism (plain, scram-sha-256 or scram-sha-512)',
      'kafka.sasl.password: required when kafka.sasl is set: set KAFKA_SASL_PASSWORD or kafka.sasl.password',
    ]);
  });

  it('says which env var a bad value came from', async () => {
    const problems = await problemsOf(load({ env: { KAFKA_BROKERS: 'b-1:9092,b-2', TRIBUTARY_METRICS_PORT: 'nine', TRIBUTARY_LOG_LEVEL: 'verbose' } }));
    expect(problems).toEqual([
      'kafka.brokers[1] (from KAFKA_BROKERS): must be host:port, e.g. broker-1.example.com:9092 (got "b-2")',
      'observability.port (from TRIBUTARY_METRICS_PORT): must be an integer from 0 to 65535, or null (got "nine")',
      'observability.logLevel (from TRIBUTARY_LOG_LEVEL): must be one of fatal, error, warn, info, debug, trace, silent (got "verbose")',
    ]);
  });

  it('checks Komo hub field maps and Braze attribute names', async () => {
    const file = await writeConfig('tributary.yaml', [
      'partners:',
      '  komo:',
      '    hubs:',
      '      h1: { userMatch: email, fields: { first: $first_name, last: "", "": x } }',
      '      h2: { fields: {} }',
      `      h3: { userMatch: braze_id, fields: { long: ${'a'.repeat(256)} } }`,
    ].join('\n'));
    expect(await problemsOf(load({ file }))).toEqual([
      'partners.komo.hubs.h1.userMatch: must be one of braze_id, external_id, email_alias, phone_alias (got "email"); did you mean email_alias?',
      'partners.komo.hubs.h1.fields: key "" is not allowed: names must not be empty',
      'partners.komo.hubs.h1.fields.first: must not start with "$" (Braze reserves those attribute names) (got "$first_name")',
      'partners.komo.hubs.h1.fields.last: must not be empty',
      'partners.komo.hubs.h2.userMatch: required: one of braze_id, external_id, email_alias, phone_alias',
      'partners.komo.hubs.h2.fields: must have at least one entry',
      'partners.komo.hubs.h3.fields.long: must be at most 255 characters (got 256)',
    ]);
  });

  it('accepts only the Extole reward states the mapper knows', async () => {
    const [problem] = await problemsOf(load({ overrides: { partners: { extole: { rewardStates: ['FULFILED' as never] } } } }));
    expect(problem).toBe(
      'partners.extole.rewardStates[0] (from overrides): must be one of FULFILLED, EARNED, SENT, REDEEMED, FAILED, CANCELED, REVOKED (got "FULFILED"); did you mean FULFILLED?',
    );
  });

  it('checks consumed topic keys and refuses a dead-letter topic that is also consumed', async () => {
    const file = await writeConfig('tributary.yaml', 'topics:\n  deadLetter: extole.events\n  consume: [extoleEvents, extoleEvents, extole]\n');
    expect(await problemsOf(load({ file }))).toEqual([
      'topics.consume[2]: must be one of actioniqAudienceMembership, actioniqUserAttributes, actioniqEvents, extoleEvents, komoSubmissions, quiklyActivations, brazeEvents, quiklyDelayed (got "extole"); did you mean extoleEvents?',
      'topics.consume: lists "extoleEvents" more than once',
      'topics.deadLetter: must differ from topics.extoleEvents, which is also "extole.events": dead letters would be consumed again',
    ]);
  });

  it('checks settings that depend on one another', async () => {
    const problems = await problemsOf(load({
      overrides: { kafka: { heartbeatIntervalMs: 30_000 }, braze: { retry: { baseMs: 500, maxMs: 100 } }, schemaRegistry: { username: 'u' } },
    }));
    expect(problems).toEqual([
      'kafka.heartbeatIntervalMs (from overrides): must be less than kafka.sessionTimeoutMs (30000), or the group drops members between heartbeats; a third of it is usual (got 30000)',
      'schemaRegistry.password: required when schemaRegistry.username is set: set SCHEMA_REGISTRY_PASSWORD or schemaRegistry.password',
      'braze.retry.maxMs (from overrides): must be at least braze.retry.baseMs (500) (got 100)',
    ]);
  });

  it('checks the rate limit share', async () => {
    for (const share of [0, 1.5, 'half']) {
      const [problem] = await problemsOf(load({ overrides: { braze: { rateLimitShare: share as never } } }));
      expect(problem).toBe(`braze.rateLimitShare (from overrides): must be "auto" or a number greater than 0 and at most 1 (got ${JSON.stringify(share)})`);
    }
    expect((await load({ overrides: { braze: { rateLimitShare: 1 } } })).braze.rateLimitShare).toBe(1);
  });

  it('reports a TLS file that cannot be read', async () => {
    const file = await writeConfig('tributary.yaml', 'kafka:\n  ssl: { ca: missing-ca.pem }\n');
    expect(await problemsOf(load({ file }))).toEqual([`kafka.ssl.ca: cannot read ${join(dir, 'missing-ca.pem')}: no such file`]);
  });
});
