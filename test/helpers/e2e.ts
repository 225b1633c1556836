import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { metricTotal, startDemoStack, type DemoStack } from '../../src/cli/demo-stack.js';
import type { AppDeps } from '../../src/app/tributary-app.js';
import { defaultConfig, type DeepPartial, type TributaryConfig } from '../../src/config/index.js';
import type { BrazeSandboxOptions, BrazeSandboxProfile } from '@tributary/sandbox/braze';

/**
 * Where the integration tests find Kafka and the Schema Registry: the embedded sandbox by default, or an
 * external one named by the test-only variables TRIBUTARY_TEST_KAFKA_BROKERS (and
 * TRIBUTARY_TEST_SCHEMA_REGISTRY_URL). The production variables KAFKA_BROKERS and SCHEMA_REGISTRY_URL are
 * never read here, so a shell set up for production cannot point a test run at a production cluster.
 * Braze is always the sandbox.
 */
export const EXTERNAL_KAFKA = brokerList(process.env.TRIBUTARY_TEST_KAFKA_BROKERS);
export const EXTERNAL_REGISTRY = process.env.TRIBUTARY_TEST_SCHEMA_REGISTRY_URL?.trim().replace(/\/$/, '') || undefined;

function brokerList(raw: string | undefined): string[] | undefined {
  const list = (raw ?? '').split(',').map((b) => b.trim()).filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/**
 * The environment for a child tributary process: this process's environment without any production
 * configuration variable (Kafka, registry, Braze, tributary's own), plus the given ones.
 */
export function childEnv(env: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (v === undefined || /^(KAFKA_|SCHEMA_REGISTRY_|BRAZE_)/.test(k) || (k.startsWith('TRIBUTARY_') && !k.startsWith('TRIBUTARY_TEST_'))) continue;
    out[k] = v;
  }
  return { ...out, ...env };
}

/**
 * What a test created on an external Kafka or registry. Each test file's afterEach calls
 * removeExternalResources(), so a shared cluster keeps no topics, groups or subjects from test runs.
 * Tests on the sandbox need none of this: the sandbox goes away with its test.
 */
const created = { topics: new Set<string>(), groups: new Set<string>(), subjects: new Set<string>() };

export function trackExternal(what: { topics?: Iterable<string>; groups?: Iterable<string>; subjects?: Iterable<string> }): void {
  if (EXTERNAL_KAFKA) {
    for (const t of what.topics ?? []) created.topics.add(t);
    for (const g of what.groups ?? []) created.groups.add(g);
  }
  if (EXTERNAL_REGISTRY) for (const s of what.subjects ?? []) created.subjects.add(s);
}

/** Deletes what trackExternal() recorded; throws (failing the test) when something cannot be deleted. */
export async function removeExternalResources(): Promise<void> {
  const topics = [...created.topics];
  const groups = [...created.groups];
  const subjects = [...created.subjects];
  created.topics.clear();
  created.groups.clear();
  created.subjects.clear();
  const problems: string[] = [];
  if (EXTERNAL_KAFKA && (topics.length > 0 || groups.length > 0)) {
    // Few retries: a topic or group that a failed start never made is reported unknown on every attempt.
    const admin = new Kafka({ clientId: 'test-cleanup', brokers: EXTERNAL_KAFKA, logLevel: logLevel.NOTHING, retry: { retries: 2, initialRetryTime: 100 } }).admin();
    await admin.connect();
    try {
      if (groups.length > 0) {
        // A member killed without leaving stays in its group until its session times out.
        const deadline = Date.now() + 3 * SESSION_TIMEOUT_MS;
        let left = groups;
        for (;;) {
          const existing = new Set((await admin.listGroups()).groups.map((g) => g.groupId));
          left = left.filter((g) => existing.has(g));
          if (left.length === 0) break;
          const results = await admin.deleteGroups(left).catch((err: { groups?: Array<{ groupId: string; errorCode: number; error?: Error }> }) => err.groups ?? []);
          left = results.filter((r) => r.errorCode !== 0 && r.errorCode !== 69).map((r) => r.groupId); // 69: GROUP_ID_NOT_FOUND
          if (left.length === 0) break;
          if (Date.now() > deadline) {
            problems.push(`consumer groups still present: ${left.join(', ')}`);
            break;
          }
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      // One at a time, through the controller: a broker's topic list can lag a topic created moments ago, so
      // only the controller's UNKNOWN_TOPIC_OR_PARTITION means that there is nothing to delete.
      for (const topic of topics) {
        await admin.deleteTopics({ topics: [topic], timeout: 30_000 }).catch((err: { type?: string; cause?: { type?: string } }) => {
          if ((err.type ?? err.cause?.type) !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err;
        });
      }
    } catch (err) {
      problems.push(`deleting test topics and groups failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      await admin.disconnect();
    }
  }
  for (const subject of subjects) {
    // Soft delete first; the registry only allows a permanent delete after it.
    for (const url of [`${EXTERNAL_REGISTRY}/subjects/${encodeURIComponent(subject)}`, `${EXTERNAL_REGISTRY}/subjects/${encodeURIComponent(subject)}?permanent=true`]) {
      const res = await fetch(url, { method: 'DELETE' });
      if (!res.ok && res.status !== 404) problems.push(`DELETE ${url}: ${res.status} ${await res.text()}`);
    }
  }
  if (problems.length > 0) throw new Error(`cleaning up after the test: ${problems.join('; ')}`);
}

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

/** The demo stack for one test; on external Kafka its topics, group and schema subjects are tracked for removal. */
export async function startE2E(options: { overrides?: DeepPartial<TributaryConfig>; braze?: BrazeSandboxOptions; partitions?: number; deps?: AppDeps } = {}): Promise<DemoStack> {
  const overrides = fastOverrides(options.overrides);
  // Tracked before the start, so that topics made by a start that fails half-way are removed too.
  const topics = Object.values(overrides.topics ?? {}).filter((t): t is string => typeof t === 'string');
  trackExternal({ topics, groups: [String(overrides.kafka?.groupId)], subjects: topics.map((t) => `${t}-value`) });
  return startDemoStack({
    ...(EXTERNAL_KAFKA ? { kafkaBrokers: EXTERNAL_KAFKA } : {}),
    ...(EXTERNAL_REGISTRY ? { schemaRegistryUrl: EXTERNAL_REGISTRY } : {}),
    braze: { seed: 7, ...options.braze },
    kafka: { minSessionTimeoutMs: 100 },
    partitions: options.partitions ?? 3,
    overrides,
    ...(options.deps ? { deps: options.deps } : {}),
  });
}

/** Polls `cond` every 50 ms; on timeout the error says what was awaited and, when given, what `explain` tells. */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000, explain?: () => Promise<string>): Promise<void> {
  const start = Date.now();
  while (!(await cond())) {
    if (Date.now() - start > timeoutMs) {
      const detail = explain ? `; ${await explain().catch((e: Error) => `(no state: ${e.message})`)}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The app's state and every non-zero tributary counter and gauge, one line: what a stalled test needs to be read. */
export async function describeApp(s: DemoStack): Promise<string> {
  const parts: string[] = [`state ${s.app.state()}`];
  for (const metric of await s.app.registry.getMetricsAsJSON()) {
    if (!metric.name.startsWith('tributary_') || String(metric.type) === 'histogram') continue;
    for (const v of metric.values) {
      if (v.value === 0) continue;
      const labels = Object.entries(v.labels).map(([k, l]) => `${k}=${l}`).join(',');
      parts.push(`${metric.name}${labels ? `{${labels}}` : ''} ${v.value}`);
    }
  }
  return parts.join('; ');
}

/** Waits until `total` records were delivered, dead-lettered or skipped. */
export async function settled(s: DemoStack, total: number, timeoutMs = 30_000): Promise<void> {
  await waitFor(async () => {
    if (s.app.state() === 'crashed') throw new Error(`the app crashed before ${total} records were done; ${await describeApp(s)}`);
    const done =
      (await metricTotal(s.app, 'tributary_records_delivered_total')) +
      (await metricTotal(s.app, 'tributary_records_dead_lettered_total')) +
      (await metricTotal(s.app, 'tributary_records_skipped_total'));
    return done >= total;
  }, `${total} records delivered, dead-lettered or skipped`, timeoutMs, () => describeApp(s));
}

export interface DlqEntry {
  readonly key: string | null;
  readonly value: Buffer | null;
  readonly headers: Record<string, string>;
}

/** Reads the dead-letter topic from the beginning until `count` entries (or the timeout). */
export function readDeadLetters(brokers: readonly string[], topic: string, count: number, timeoutMs = 15_000): Promise<DlqEntry[]> {
  return readTopic(brokers, topic, count, timeoutMs);
}

/** Reads a topic from the beginning until `count` records (or the timeout), and a moment more. */
export async function readTopic(brokers: readonly string[], topic: string, count: number, timeoutMs = 15_000): Promise<DlqEntry[]> {
  const kafka = new Kafka({ clientId: 'topic-reader', brokers: [...brokers], logLevel: logLevel.NOTHING });
  const groupId = `topic-reader-${randomUUID()}`;
  trackExternal({ groups: [groupId] });
  const consumer = kafka.consumer({ groupId, sessionTimeout: SESSION_TIMEOUT_MS, heartbeatInterval: 200, maxWaitTimeInMs: 100 });
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
    await waitFor(() => out.length >= count, `${count} records on ${topic}`, timeoutMs);
    // Give a late extra record a moment to show up, so "exactly these" assertions can fail.
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
