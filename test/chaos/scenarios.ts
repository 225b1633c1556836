/**
 * The chaos scenarios: Braze misbehaving in every documented way, a long outage, and a processor killed
 * over and over. Each produces versioned attribute writes and numbered events, then a checker compares what
 * was produced with the Braze sandbox's profiles: nothing lost, every user's final value the newest, no dead
 * letter caused by infrastructure. Loopback only; every wait is bounded.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel } from 'kafkajs';
import { startBrazeSandbox, startKafkaSandbox, startSchemaRegistry, type BrazeSandbox } from '@tributary/sandbox';
import type { BrazeSandboxProfile } from '@tributary/sandbox/braze';
import type { SampleRecord } from '../../src/app/sample-records.js';
import { metricTotal } from '../../src/cli/demo-stack.js';
import { childEnv, settled, startE2E, uniqueTopics, waitFor } from '../helpers/e2e.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const T0 = Date.parse('2026-06-01T00:00:00Z');

export interface ChaosReport {
  readonly scenario: string;
  readonly records: number;
  /** Records whose effect is missing from Braze. */
  readonly lost: number;
  /** Users whose final `version` attribute is not their newest record's. */
  readonly finalStateViolations: number;
  readonly deadLetters: number;
  /** Events recorded more than once (at-least-once), in total and per kill where processes were killed. */
  readonly duplicateEvents: number;
  readonly kills?: number;
  /** Processors that delivered nothing within 30 s of their start. */
  readonly stalls?: number;
  readonly notes?: string;
}

/** Record n: user n % users gets `version: n`, and event `numbered` with property n. */
function records(count: number, users: number): SampleRecord[] {
  const out: SampleRecord[] = [];
  for (let n = 0; n < count; n++) {
    const user = `chaos-${n % users}`;
    out.push(
      n % 2 === 0
        ? { topicKey: 'actioniqUserAttributes', key: user, value: { external_id: user, braze_id: null, attributes: { version: n }, updated_at: T0 + n } }
        : { topicKey: 'actioniqEvents', key: user, value: { name: 'numbered', external_id: user, braze_id: null, timestamp: T0 + n, properties: { n } } },
    );
  }
  return out;
}

/** Compares what was produced with what Braze holds. */
function check(scenario: string, produced: readonly SampleRecord[], profiles: readonly BrazeSandboxProfile[], deadLetters: number, extra: Partial<ChaosReport> = {}): ChaosReport {
  const byUser = new Map(profiles.filter((p) => p.external_id !== null).map((p) => [p.external_id!, p]));
  const newest = new Map<string, number>();
  const events = new Map<number, number>();
  for (const p of profiles) for (const e of p.events) if (e.name === 'numbered' && typeof e.properties.n === 'number') events.set(e.properties.n, (events.get(e.properties.n) ?? 0) + 1);
  let lost = 0;
  for (const r of produced) {
    const v = r.value as { external_id: string; attributes?: { version: number }; properties?: { n: number } };
    if (v.attributes) newest.set(v.external_id, Math.max(newest.get(v.external_id) ?? -1, v.attributes.version));
    else if (!events.has(v.properties!.n)) lost++;
  }
  let violations = 0;
  for (const [user, version] of newest) if (byUser.get(user)?.custom_attributes.version !== version) violations++;
  let duplicates = 0;
  for (const count of events.values()) duplicates += count - 1;
  return { scenario, records: produced.length, lost, finalStateViolations: violations, deadLetters, duplicateEvents: duplicates, ...extra };
}

/** Braze answers 5xx bursts, 429 storms in both header styles, resets, hangs past the client timeout, slow answers that land after the client gave up, and a 400 for a whole batch. */
export async function brazeFaults(scale: number): Promise<ChaosReport> {
  const reports: ChaosReport[] = [];
  for (const style of ['epoch', 'mau'] as const) {
    const stack = await startE2E({
      braze: { seed: 21, rateLimitStyle: style },
      overrides: { braze: { requestTimeoutMs: 800, ambiguityWindowMs: 2000, lingerMs: 5, maxObjectsPerRequest: 20, retry: { maxAttempts: null, baseMs: 20, maxMs: 400 } } },
    });
    try {
      const times = Math.max(1, Math.round(scale));
      stack.braze.state.faults.script([
        { path: '/users/track', fault: 'status', status: 503, times: 3 * times },
        { path: '/users/track', fault: 'rate-limit', retryAfterS: 1, times: 2 * times },
        { path: '/users/track', fault: 'status', status: 502, times },
        { path: '/users/track', fault: 'reset', times },
        { path: '/users/track', fault: 'hang', hangMs: 1200, times },
        // Slower than the client's timeout: the request lands after tributary gave up on it.
        { path: '/users/track', fault: 'delay', ms: 1200, times },
        { path: '/users/track', fault: 'status', status: 504, times },
        { path: '/users/track', fault: 'status', status: 400, body: { message: 'Invalid request' } },
      ]);
      stack.braze.state.faults.set({ paths: ['/users/track'], latency: { minMs: 0, maxMs: 40 } });
      const produced = records(Math.round(300 * scale), 25);
      await stack.produce(produced, 0.5);
      await settled(stack, produced.length, 40_000 * Math.max(1, scale));
      const dead = await metricTotal(stack.app, 'tributary_records_dead_lettered_total');
      reports.push(check(`Braze faults (${style} rate-limit headers)`, produced, stack.braze.state.profiles(), dead));
    } finally {
      await stack.close();
    }
  }
  return {
    scenario: 'Braze faults: 5xx bursts, 429 storms (both header styles), resets, hangs, late landings, a whole-batch 400, latency spikes',
    records: reports.reduce((n, r) => n + r.records, 0),
    lost: reports.reduce((n, r) => n + r.lost, 0),
    finalStateViolations: reports.reduce((n, r) => n + r.finalStateViolations, 0),
    deadLetters: reports.reduce((n, r) => n + r.deadLetters, 0),
    duplicateEvents: reports.reduce((n, r) => n + r.duplicateEvents, 0),
  };
}

/** Braze answers 503 to everything for `outageMs`: records wait, /readyz says so, nothing is dead-lettered. */
export async function brazeOutage(outageMs: number): Promise<ChaosReport> {
  const stack = await startE2E({ overrides: { observability: { port: 0 }, braze: { retry: { maxAttempts: null, baseMs: 50, maxMs: 1000 } } } });
  try {
    stack.braze.state.faults.set({ paths: ['/users/track'], errorRate: 1, errorStatuses: [503] });
    const produced = records(200, 20);
    await stack.produce(produced, 0.5);
    const readyz = async () => (await fetch(`${stack.app.metricsUrl}/readyz`)).status;
    await waitFor(async () => (await readyz()) === 503, '/readyz to answer 503 during the outage', 30_000);
    await new Promise((r) => setTimeout(r, outageMs));
    const deadDuring = await metricTotal(stack.app, 'tributary_records_dead_lettered_total');
    stack.braze.state.faults.clear();
    await settled(stack, produced.length, 60_000);
    await waitFor(async () => (await readyz()) === 200, '/readyz to answer 200 after the outage', 30_000);
    const dead = await metricTotal(stack.app, 'tributary_records_dead_lettered_total');
    return check(`Braze outage of ${Math.round(outageMs / 1000)} s`, produced, stack.braze.state.profiles(), dead, { notes: `${deadDuring} dead letters during the outage; /readyz 503 during it, 200 after` });
  } finally {
    await stack.close();
  }
}

interface Rig {
  readonly braze: BrazeSandbox;
  readonly produced: readonly SampleRecord[];
  /** Starts a processor (a child process running `tributary run`). */
  start(): ChildProcess;
  /** Produces the next `count` records (all that are left without a count). */
  send(count?: number): Promise<void>;
  /** Stops the broker and starts it again on the same port with the same data. */
  restartBroker(downMs: number): Promise<void>;
  trackRequests(): number;
  deadLetters(): Promise<number>;
  close(): Promise<void>;
}

/** Kafka (with a data dir, on a fixed port), registry and Braze sandboxes, and processors as child processes. */
async function rig(recordCount: number, seed: number): Promise<Rig> {
  const closers: Array<() => Promise<void>> = [];
  const children: ChildProcess[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'tributary-chaos-'));
  const dataDir = join(dir, 'kafka');
  let kafkaSandbox = await startKafkaSandbox({ partitions: 3, minSessionTimeoutMs: 100, dataDir });
  const port = kafkaSandbox.port;
  const registry = await startSchemaRegistry();
  const braze = await startBrazeSandbox({ seed, latencyMs: 20 });
  braze.state.faults.set({ paths: ['/users/track'], errorRate: 0.1, latency: { minMs: 0, maxMs: 300 } });
  const topics = uniqueTopics();
  const groupId = `chaos-${randomUUID()}`;
  const configFile = join(dir, 'tributary.yaml');
  writeFileSync(configFile, [
    'kafka:', `  groupId: ${groupId}`, '  sessionTimeoutMs: 1000', '  rebalanceTimeoutMs: 1000', '  heartbeatIntervalMs: 200', '  maxWaitTimeMs: 100',
    'topics:', `  actioniqUserAttributes: ${topics.actioniqUserAttributes}`, `  actioniqEvents: ${topics.actioniqEvents}`, `  deadLetter: ${topics.deadLetter}`,
    '  consume: [actioniqUserAttributes, actioniqEvents]',
    'braze:', '  lingerMs: 5', '  maxObjectsPerRequest: 10', '  requestTimeoutMs: 1000', '  ambiguityWindowMs: 1500', '  retry: { baseMs: 10, maxMs: 200 }',
    'pipeline:', '  commitIntervalMs: 100', 'observability:', '  port: null', `  logLevel: ${process.env.CHAOS_LOG ? 'info' : 'error'}`, '',
  ].join('\n'));
  const brokers = [`127.0.0.1:${port}`];
  const env = { KAFKA_BROKERS: brokers.join(','), SCHEMA_REGISTRY_URL: registry.url, BRAZE_REST_ENDPOINT: braze.url, BRAZE_API_KEY: braze.apiKey };
  const kafka = new Kafka({ clientId: 'chaos-producer', brokers, logLevel: logLevel.NOTHING, retry: { retries: 20, maxRetryTime: 2000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: false, topics: [topics.actioniqUserAttributes!, topics.actioniqEvents!, topics.deadLetter!].map((topic) => ({ topic, numPartitions: 3 })) });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const produced = records(recordCount, 40);
  let sent = 0;
  closers.push(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await producer.disconnect().catch(() => undefined);
    await braze.close();
    await registry.close();
    await kafkaSandbox.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    braze,
    produced,
    start() {
      const child = spawn(process.execPath, ['--conditions=tributary-source', '--import', 'tsx', join(ROOT, 'src/main.ts'), 'run', '--config', configFile], { cwd: ROOT, env: childEnv(env), stdio: ['ignore', 'ignore', 'pipe'] });
      if (process.env.CHAOS_LOG) child.stderr!.on('data', (d: Buffer) => process.stderr.write(`[processor ${children.length}] ${d.toString()}`));
      else child.stderr!.resume();
      children.push(child);
      return child;
    },
    async send(count = produced.length) {
      const part = produced.slice(sent, sent + count);
      sent += part.length;
      if (part.length === 0) return;
      await producer.send({ topic: topics.actioniqUserAttributes!, messages: part.filter((r) => r.topicKey === 'actioniqUserAttributes').map((r) => ({ key: r.key, value: JSON.stringify(r.value) })) });
      await producer.send({ topic: topics.actioniqEvents!, messages: part.filter((r) => r.topicKey === 'actioniqEvents').map((r) => ({ key: r.key, value: JSON.stringify(r.value) })) });
    },
    async restartBroker(downMs) {
      await kafkaSandbox.close();
      await new Promise((r) => setTimeout(r, downMs));
      kafkaSandbox = await startKafkaSandbox({ partitions: 3, minSessionTimeoutMs: 100, dataDir, port });
    },
    trackRequests: () => Object.values(braze.state.counters().byEndpoint['POST /users/track'] ?? {}).reduce((n, c) => n + c, 0),
    async deadLetters() {
      const reader = kafka.admin();
      await reader.connect();
      const n = (await reader.fetchTopicOffsets(topics.deadLetter!)).reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
      await reader.disconnect();
      return n;
    },
    async close() {
      for (const close of closers.splice(0)) await close().catch(() => undefined);
    },
  };
}

/** Waits until Braze holds every record's effect, then stops `last` with SIGTERM and returns its exit code. */
async function finish(r: Rig, last: ChildProcess): Promise<number | null> {
  r.braze.state.faults.clear();
  await waitFor(() => {
    const c = check('', r.produced, r.braze.state.profiles(), 0);
    return c.lost === 0 && c.finalStateViolations === 0;
  }, 'every record in Braze', 90_000);
  const exited = new Promise<number | null>((res) => last.once('exit', (code) => res(code)));
  last.kill('SIGTERM');
  return exited;
}

/** The processor is killed with SIGKILL `kills` times at random moments while delivering, and restarted each time. */
export async function processorKills(kills: number, seed = 7): Promise<ChaosReport> {
  const r = await rig(Math.max(200, kills * 40), seed);
  try {
    let random = seed >>> 0;
    const next = () => ((random = (random * 1103515245 + 12345) >>> 0) / 2 ** 32);
    const slice = Math.ceil(r.produced.length / (kills + 1));
    let stalls = 0;
    for (let k = 0; k < kills; k++) {
      await r.send(slice);
      const child = r.start();
      // Killed mid-stream: once this processor is delivering, at a random moment of its next few requests.
      // One that has delivered nothing after 30 s is counted (a liveness problem to look at) and killed anyway.
      const before = r.trackRequests();
      await waitFor(() => r.trackRequests() > before || child.exitCode !== null, 'the processor to start delivering', 30_000).catch(() => stalls++);
      await new Promise((res) => setTimeout(res, Math.floor(next() * 400)));
      child.kill('SIGKILL');
      await new Promise((res) => (child.exitCode !== null || child.signalCode !== null ? res(null) : child.once('exit', res)));
    }
    await r.send();
    const code = await finish(r, r.start());
    return check(`processor killed ${kills} times with SIGKILL`, r.produced, r.braze.state.profiles(), await r.deadLetters(), {
      kills, stalls, notes: `the last processor exited ${code} on SIGTERM; ${stalls} of ${kills} processors delivered nothing within 30 s before their kill`,
    });
  } finally {
    await r.close();
  }
}

/** The Kafka broker is stopped mid-stream and started again on the same port with its data dir, `restarts` times. */
export async function brokerRestarts(restarts: number): Promise<ChaosReport> {
  const r = await rig(400, 9);
  try {
    const processor = r.start();
    const slice = Math.ceil(r.produced.length / (restarts + 1));
    for (let k = 0; k < restarts; k++) {
      await r.send(slice);
      const before = r.trackRequests();
      await waitFor(() => r.trackRequests() > before, 'the processor to deliver', 120_000);
      await r.restartBroker(1500);
    }
    await r.send();
    const code = await finish(r, processor);
    return check(`Kafka broker restarted ${restarts} times mid-stream (data dir kept)`, r.produced, r.braze.state.profiles(), await r.deadLetters(), { notes: `the processor exited ${code} on SIGTERM` });
  } finally {
    await r.close();
  }
}

/** Group members join and leave (SIGTERM) every `everyMs` while records flow: `changes` membership changes. */
export async function memberChurn(changes: number, everyMs: number): Promise<ChaosReport> {
  const r = await rig(Math.max(300, changes * 30), 11);
  try {
    const members: ChildProcess[] = [r.start()];
    const slice = Math.ceil(r.produced.length / (changes + 1));
    for (let k = 0; k < changes; k++) {
      await r.send(slice);
      await new Promise((res) => setTimeout(res, everyMs));
      if (members.length < 3 && (k % 3 !== 2 || members.length === 1)) members.push(r.start());
      else {
        const leaving = members.shift()!;
        const exited = new Promise((res) => leaving.once('exit', res));
        leaving.kill('SIGTERM');
        await exited;
      }
    }
    await r.send();
    const last = members.pop()!;
    for (const m of members) {
      const exited = new Promise((res) => m.once('exit', res));
      m.kill('SIGTERM');
      await exited;
    }
    const code = await finish(r, last);
    return check(`${changes} members joining and leaving every ${everyMs / 1000} s`, r.produced, r.braze.state.profiles(), await r.deadLetters(), { notes: `the last member exited ${code} on SIGTERM` });
  } finally {
    await r.close();
  }
}

export function formatReport(r: ChaosReport): string {
  const perKill = r.kills ? `, ${(r.duplicateEvents / r.kills).toFixed(1)} per kill` : '';
  return `| ${r.scenario} | ${r.records} | ${r.lost} | ${r.finalStateViolations} | ${r.deadLetters} | ${r.duplicateEvents}${perKill} |${r.notes ? ` ${r.notes}` : ''}`;
}
