import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { metricTotal, startDemoStack, type DemoStack } from '../../src/cli/demo-stack.js';
import { defaultConfig, type DeepPartial, type TributaryConfig } from '../../src/config/index.js';
import type { BrazeSandboxOptions } from '../../src/sandbox/braze/index.js';
import type { BrazeSandboxProfile } from '../../src/sandbox/braze/types.js';

/**
 * Where the integration tests find Kafka and the Schema Registry: the embedded sandbox by default, or a real
 * cluster when KAFKA_BROKERS (and SCHEMA_REGISTRY_URL) are set in the environment of the test run.
 */
export const EXTERNAL_KAFKA = process.env.KAFKA_BROKERS ? process.env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean) : undefined;
export const EXTERNAL_REGISTRY = process.env.SCHEMA_REGISTRY_URL || undefined;

/** Real Kafka refuses sessions under group.min.session.timeout.ms (6 s by default); the sandbox takes short ones. */
export const SESSION_TIMEOUT_MS = EXTERNAL_KAFKA ? 6000 : 3000;

/** Topic names unique to one test, so tests never see each other's records (on a shared real cluster too). */
export function uniqueTopics(): Record<string, string> {
  const id = randomUUID().slice(0, 8);
  const d = defaultConfig().topics as unknown as Record<string, unknown>;
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(d)) if (typeof v === 'string') out[k] = `${v}-${id}`;
  return out;
}

/** Test-speed settings: short sessions, fast commits, no metrics server, topics of its own. */
export function fastOverrides(extra: DeepPartial<TributaryConfig> = {}): DeepPartial<TributaryConfig> {
  return {
    ...extra,
    topics: { ...uniqueTopics(), ...extra.topics } as DeepPartial<TributaryConfig>['topics'],
    kafka: { groupId: `e2e-${randomUUID()}`, sessionTimeoutMs: SESSION_TIMEOUT_MS, rebalanceTimeoutMs: SESSION_TIMEOUT_MS, heartbeatIntervalMs: 200, maxWaitTimeMs: 100, ...extra.kafka },
    braze: { lingerMs: 5, retry: { maxAttempts: 8, baseMs: 10, maxMs: 200 }, ...extra.braze },
    pipeline: { commitIntervalMs: 100, shutdownTimeoutMs: 5000, ...extra.pipeline },
    observability: { port: null, logLevel: 'silent', ...extra.observability },
  };
}

export async function startE2E(options: { overrides?: DeepPartial<TributaryConfig>; braze?: BrazeSandboxOptions; partitions?: number } = {}): Promise<DemoStack> {
  return startDemoStack({
    ...(EXTERNAL_KAFKA ? { kafkaBrokers: EXTERNAL_KAFKA } : {}),
    ...(EXTERNAL_REGISTRY ? { schemaRegistryUrl: EXTERNAL_REGISTRY } : {}),
    braze: { seed: 7, ...options.braze },
    kafka: { minSessionTimeoutMs: 100 },
    partitions: options.partitions ?? 3,
    overrides: fastOverrides(options.overrides),
  });
}

export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Waits until `total` records were delivered, dead-lettered or skipped. */
export async function settled(s: DemoStack, total: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => {
    const done =
      (await metricTotal(s.app, 'tributary_records_delivered_total')) +
      (await metricTotal(s.app, 'tributary_records_dead_lettered_total')) +
      (await metricTotal(s.app, 'tributary_records_skipped_total'));
    return done >= total;
  }, `${total} records delivered, dead-lettered or skipped`, timeoutMs);
}

export interface DlqEntry {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Reads the dead-letter topic from the beginning until `count` entries (or the timeout). */
export async function readDeadLetters(brokers: readonly string[], topic: string, count: number, timeoutMs = 15_000): Promise<DlqEntry[]> {
  const kafka = new Kafka({ clientId: 'dlq-reader', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `dlq-reader-${randomUUID()}`, sessionTimeout: 3000, heartbeatInterval: 200, maxWaitTimeInMs: 100 });
  const out: DlqEntry[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(message.headers ?? {})) if (v !== undefined) headers[k] = String(v);
      out.push({ key: message.key?.toString() ?? null, value: message.value, headers });
    },
  });
  try {
    await waitFor(() => out.length >= count, `${count} dead letters`, timeoutMs);
    // Give a late extra letter a moment to show up, so "exactly these" assertions can fail.
    await new Promise((r) => setTimeout(r, 300));
  } finally {
    await consumer.disconnect();
  }
  return out;
}

/** Every event property `n` recorded on any profile (the effect of each numbered record). */
export function eventNumbers(profiles: BrazeSandboxProfile[], name: string): Set<number> {
  const seen = new Set<number>();
  for (const p of profiles) for (const e of p.events) if (e.name === name && typeof e.properties.n === 'number') seen.add(e.properties.n);
  return seen;
}
