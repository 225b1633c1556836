import { mkdirSync } from 'node:fs';
import { parseCommand, UsageError, type FlagSpec } from './args.js';
import { startKafkaSandbox, startSandbox } from '@tributary/sandbox';

const KAFKA_FLAGS: FlagSpec = {
  host: { type: 'string', help: 'address to listen on and advertise (default 127.0.0.1)' },
  port: { type: 'number', help: 'port (default 9092; 0 picks a free port)' },
  'data-dir': { type: 'string', help: 'keep logs and committed offsets here across restarts (default: memory only)' },
  partitions: { type: 'number', help: 'partitions of auto-created topics (default 3)' },
  'auto-create': { type: 'boolean', help: 'create unknown topics on first use: true|false (default true)' },
  'retention-bytes': { type: 'number', help: 'per-partition log cap in bytes; oldest batches are dropped (default 268435456)' },
  help: { type: 'boolean', help: 'show this help' },
};

const STACK_FLAGS: FlagSpec = {
  host: { type: 'string', help: 'address to listen on (default 127.0.0.1)' },
  'kafka-port': { type: 'number', help: 'Kafka port (default 9092; 0 picks a free port)' },
  'registry-port': { type: 'number', help: 'Schema Registry port (default 8081; 0 picks a free port)' },
  'braze-port': { type: 'number', help: 'Braze API sandbox port (default 8082; 0 picks a free port)' },
  'data-dir': { type: 'string', help: 'keep every part\'s state here across restarts (default: memory only)' },
  partitions: { type: 'number', help: 'partitions of auto-created topics (default 3)' },
  'braze-latency-ms': { type: 'number', help: 'latency the Braze sandbox adds to every answer (default 0)' },
  'braze-limits': { type: 'string', help: 'Braze rate limits: default|unlimited (default: default, Braze\'s published figures)' },
  'braze-api-key': { type: 'string', help: 'the API key the Braze sandbox accepts (default sandbox-api-key)' },
  lean: {
    type: 'boolean',
    help: 'lean Braze sandbox for load tests: same validation, answers, rate limits and counters, but no request log '
      + '(GET /_sandbox/requests answers 409) and no per-profile event history',
  },
  'sms-group': {
    type: 'string', repeatable: true,
    help: 'declare a Braze SMS subscription group (a UUID); repeatable. Undeclared groups count as email groups',
  },
  'double-opt-in-event': {
    type: 'string', repeatable: true,
    help: 'NAME=GROUP_ID: a custom event NAME tracked for a profile with a phone starts a pending SMS double opt-in in GROUP_ID (a --sms-group); repeatable',
  },
  help: { type: 'boolean', help: 'show this help' },
};

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** --sms-group and --double-opt-in-event as Braze sandbox options; mistakes are usage errors. */
function subscriptionOptions(flags: Record<string, unknown>): {
  subscriptionGroups?: Record<string, 'sms'>; doubleOptInEvents?: Record<string, string>;
} {
  const groups = (flags['sms-group'] as string[] | undefined) ?? [];
  const events = (flags['double-opt-in-event'] as string[] | undefined) ?? [];
  const subscriptionGroups: Record<string, 'sms'> = {};
  for (const id of groups) {
    if (!UUID.test(id)) throw new UsageError(`--sms-group takes a subscription group id (a UUID), not ${JSON.stringify(id)}`);
    subscriptionGroups[id.toLowerCase()] = 'sms';
  }
  const doubleOptInEvents: Record<string, string> = {};
  for (const spec of events) {
    const eq = spec.lastIndexOf('=');
    const name = eq === -1 ? '' : spec.slice(0, eq);
    const group = eq === -1 ? '' : spec.slice(eq + 1).toLowerCase();
    if (name === '' || !UUID.test(group)) {
      throw new UsageError(`--double-opt-in-event takes NAME=GROUP_ID (GROUP_ID a UUID), not ${JSON.stringify(spec)}`);
    }
    if (subscriptionGroups[group] === undefined) {
      throw new UsageError(`--double-opt-in-event ${spec}: ${group} is not an SMS group; declare it with --sms-group ${group}`);
    }
    doubleOptInEvents[name] = group;
  }
  return {
    ...(groups.length > 0 ? { subscriptionGroups } : {}),
    ...(events.length > 0 ? { doubleOptInEvents } : {}),
  };
}

function nonNegativeInt(name: string, v: unknown, fallback: number): number {
  if (v === undefined) return fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) throw new UsageError(`--${name} takes a whole number ≥ 0, not ${String(v)}`);
  return v;
}

/** Runs in the foreground until SIGINT/SIGTERM; prints one JSON ready line on stdout, logs on stderr. */
async function untilSignal(close: () => Promise<void>): Promise<number> {
  await new Promise<void>((resolve) => {
    const done = () => resolve();
    process.once('SIGINT', done);
    process.once('SIGTERM', done);
  });
  process.stderr.write('tributary sandbox: stopping\n');
  await close();
  return 0;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

export async function sandboxCommand(argv: string[]): Promise<number> {
  if (argv[0] === 'kafka') {
    const { flags, helped } = parseCommand(argv.slice(1), KAFKA_FLAGS, 'tributary sandbox kafka [options]');
    if (helped) return 0;
    const partitions = nonNegativeInt('partitions', flags.partitions, 3);
    if (partitions < 1) throw new UsageError('--partitions must be at least 1');
    const dataDir = flags['data-dir'] as string | undefined;
    if (dataDir) mkdirSync(dataDir, { recursive: true });
    const kafka = await startKafkaSandbox({
      host: (flags.host as string | undefined) ?? '127.0.0.1',
      port: nonNegativeInt('port', flags.port, 9092),
      partitions,
      autoCreate: (flags['auto-create'] as boolean | undefined) ?? true,
      ...(dataDir ? { dataDir } : {}),
      ...(flags['retention-bytes'] === undefined ? {} : { retentionBytes: nonNegativeInt('retention-bytes', flags['retention-bytes'], 0) }),
      log,
    });
    process.stdout.write(JSON.stringify({ ready: true, kafka: kafka.brokers[0] }) + '\n');
    return untilSignal(() => kafka.close());
  }
  const usage = 'tributary sandbox [kafka] [options]';
  const { flags, positionals, helped } = parseCommand(argv, STACK_FLAGS, usage, { maxPositionals: 1 });
  if (helped) return 0;
  if (positionals.length > 0) {
    throw new UsageError(`unknown sandbox ${JSON.stringify(positionals[0])}; try \`tributary sandbox\` or \`tributary sandbox kafka\``, `usage: ${usage}`);
  }
  const limits = (flags['braze-limits'] as string | undefined) ?? 'default';
  if (limits !== 'default' && limits !== 'unlimited') throw new UsageError(`--braze-limits takes default or unlimited, not ${JSON.stringify(limits)}`);
  const dataDir = flags['data-dir'] as string | undefined;
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const apiKey = flags['braze-api-key'] as string | undefined;
  const subscriptions = subscriptionOptions(flags);
  const sandbox = await startSandbox({
    host: (flags.host as string | undefined) ?? '127.0.0.1',
    kafkaPort: nonNegativeInt('kafka-port', flags['kafka-port'], 9092),
    registryPort: nonNegativeInt('registry-port', flags['registry-port'], 8081),
    brazePort: nonNegativeInt('braze-port', flags['braze-port'], 8082),
    ...(dataDir ? { dataDir } : {}),
    kafka: { partitions: nonNegativeInt('partitions', flags.partitions, 3) },
    braze: {
      latencyMs: nonNegativeInt('braze-latency-ms', flags['braze-latency-ms'], 0),
      limits,
      ...(flags.lean === true ? { lean: true } : {}),
      ...(apiKey ? { apiKey } : {}),
      ...subscriptions,
    },
    log,
  });
  process.stdout.write(JSON.stringify({ ready: true, ...sandbox.addresses }) + '\n');
  return untilSignal(() => sandbox.close());
}
