/**
 * The pipeline scenarios of pipeline-throughput.ts (same records, same Braze latency) on real Apache Kafka
 * started by scripts/kafka-real.mjs, beside the sandbox figures. Skipped, with a note, without Java 17+ or Maven.
 */
import { pathToFileURL } from 'node:url';
import { KafkaRealUnavailable, startRealKafka } from '../scripts/kafka-real.mjs';
import { SCENARIOS, runScenario } from './pipeline-throughput.js';
import type { BenchResult } from './types.js';

/** The scenarios measured on real Kafka too: the plain end-to-end ones (the backlog one needs no second broker). */
const REAL_SCENARIOS = SCENARIOS.filter((s) => s.maxInFlightOps === undefined);

export async function run(): Promise<BenchResult[]> {
  let kafka;
  try {
    kafka = await startRealKafka({ log: (line) => process.stderr.write(`bench: ${line}\n`) });
  } catch (err) {
    if (!(err instanceof KafkaRealUnavailable)) throw err;
    process.stderr.write(`bench: pipeline-real-kafka skipped: ${err.message}\n`);
    return [];
  }
  try {
    const target = { brokers: kafka.brokers, label: `Apache Kafka ${kafka.version}` };
    // Unreported, like the sandbox warm-up: the broker's JIT and page cache start cold.
    await runScenario({ name: 'warm-up', records: 10_000, brazeLatencyMs: 0 }, target);
    const out: BenchResult[] = [];
    for (const s of REAL_SCENARIOS) out.push(...(await runScenario({ ...s, name: `${s.name}, real Kafka` }, target)));
    return out;
  } finally {
    await kafka.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  for (const r of await run()) console.log(`${r.scenario} | ${r.metric} | ${r.value} ${r.unit}${r.notes ? ` | ${r.notes}` : ''}`);
}
