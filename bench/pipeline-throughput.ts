/**
 * End-to-end throughput of the pipeline on the embedded sandbox: a backlog of realistic partner records
 * (70 % Avro, 30 % JSON) produced to Kafka, consumed, mapped and delivered to the Braze sandbox.
 */
import { randomUUID } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { metricTotal, startDemoStack } from '../src/cli/demo-stack.js';
import { defaultConfig } from '../src/config/index.js';
import { SampleRecordGenerator } from '../src/app/sample-records.js';
import type { BenchResult } from './types.js';

export interface Scenario {
  readonly name: string;
  readonly records: number;
  readonly brazeLatencyMs: number;
  readonly maxInFlightOps?: number;
}

export const SCENARIOS: Scenario[] = [
  { name: 'pipeline, Braze latency 50 ms', records: 30_000, brazeLatencyMs: 50 },
  { name: 'pipeline, Braze latency 0 ms', records: 30_000, brazeLatencyMs: 0 },
  { name: 'pipeline backlog, in-flight cap 2000, Braze 50 ms', records: 60_000, brazeLatencyMs: 50, maxInFlightOps: 2000 },
];

/** Where the records go: the embedded sandbox broker (default), or a real Kafka that scenarios share. */
export interface KafkaTarget {
  readonly brokers: readonly string[];
  /** How the broker is described in the notes. */
  readonly label: string;
}

/** Topic names of one scenario run, so runs on a shared broker never read each other's records. */
function topicsOfRun(): Record<string, string> {
  const id = randomUUID().slice(0, 8);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(defaultConfig().topics)) if (typeof v === 'string') out[k] = `${v}-bench-${id}`;
  return out;
}

export async function runScenario(s: Scenario, kafka?: KafkaTarget): Promise<BenchResult[]> {
  const stack = await startDemoStack({
    ...(kafka ? { kafkaBrokers: kafka.brokers } : {}),
    braze: { latencyMs: s.brazeLatencyMs, requestLogSize: 100 },
    partitions: 6,
    overrides: {
      ...(kafka ? { topics: topicsOfRun() } : {}),
      kafka: { groupId: `bench-${Date.now()}`, maxWaitTimeMs: 100 },
      braze: { lingerMs: 20, maxConcurrentRequests: 32 },
      pipeline: { commitIntervalMs: 500, ...(s.maxInFlightOps ? { maxInFlightOps: s.maxInFlightOps } : {}) },
      observability: { port: null, logLevel: 'error' },
    },
  });
  try {
    const gen = new SampleRecordGenerator({ seed: 1, users: 20_000 });
    const started = performance.now();
    const cpuAtStart = process.cpuUsage();
    let rssPeak = process.memoryUsage().rss;
    let opsPeak = 0;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
      void Promise.all([metricTotal(stack.app, 'tributary_ops_queued'), metricTotal(stack.app, 'tributary_ops_in_flight')]).then(([q, f]) => (opsPeak = Math.max(opsPeak, q + f)));
    }, 50);
    for (let done = 0; done < s.records; ) {
      const n = Math.min(2000, s.records - done);
      await stack.produce(Array.from({ length: n }, () => gen.next()));
      done += n;
    }
    const produced = performance.now();
    const deadline = Date.now() + 120_000;
    let finished = 0;
    while (Date.now() < deadline) {
      finished =
        (await metricTotal(stack.app, 'tributary_records_delivered_total')) +
        (await metricTotal(stack.app, 'tributary_records_dead_lettered_total')) +
        (await metricTotal(stack.app, 'tributary_records_skipped_total'));
      if (finished >= s.records) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const elapsedS = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuAtStart);
    clearInterval(sampler);
    const requests = await metricTotal(stack.app, 'tributary_braze_requests_total');
    const counters = stack.braze.state.counters();
    const objects = counters.objects.attributes.received + counters.objects.events.received + counters.objects.purchases.received;
    const where = kafka ? `${kafka.label} in its own JVM on the same machine; registry and Braze sandboxes in the same process` : 'sandbox broker, registry and Braze in the same process';
    const notes = `${s.records} records, ${finished} finished; produce took ${((produced - started) / 1000).toFixed(1)} s; ${where}`;
    return [
      { scenario: s.name, metric: 'end-to-end throughput', value: Math.round(finished / elapsedS), unit: 'records/s', notes },
      { scenario: s.name, metric: 'process CPU per record', value: Math.round(((cpu.user + cpu.system) / Math.max(1, finished)) * 10) / 10, unit: 'µs', notes: 'utime+stime of the whole process (tributary, the sandbox broker, registry and Braze, and the producer) / records' },
      { scenario: s.name, metric: 'Braze requests', value: requests, unit: 'requests' },
      { scenario: s.name, metric: 'objects per /users/track request', value: Math.round((objects / Math.max(1, counters.byEndpoint['POST /users/track']?.['201'] ?? requests)) * 10) / 10, unit: 'objects' },
      { scenario: s.name, metric: 'peak operations queued + in flight', value: opsPeak, unit: 'ops', notes: `cap (pipeline.maxInFlightOps) ${s.maxInFlightOps ?? 20_000}` },
      {
        scenario: s.name,
        metric: 'peak RSS (whole process)',
        value: Math.round(rssPeak / 1024 / 1024),
        unit: 'MiB',
        notes: kafka ? 'tributary, the registry and Braze sandboxes, and earlier scenarios; the Kafka broker is another process' : 'includes the in-memory sandbox broker holding every record, and earlier scenarios',
      },
    ];
  } finally {
    await stack.close();
  }
}

export async function run(): Promise<BenchResult[]> {
  // An unreported warm-up round, so the first scenario is not measured with a cold JIT.
  await runScenario({ name: 'warm-up', records: 10_000, brazeLatencyMs: 0 });
  const out: BenchResult[] = [];
  for (const s of SCENARIOS) out.push(...(await runScenario(s)));
  return out;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await run()) console.log(`${r.scenario} | ${r.metric} | ${r.value} ${r.unit}${r.notes ? ` | ${r.notes}` : ''}`);
}
