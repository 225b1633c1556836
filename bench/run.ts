/** `npm run bench`: runs every scenario, prints the table and writes it to BENCHMARKS.md. */
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import type { BenchResult, BenchScenario } from './types.js';

const SCENARIOS: Array<[string, () => Promise<{ run: BenchScenario }>]> = [
  ['kafka-throughput', () => import('./kafka-throughput.js')],
  ['pipeline-throughput', () => import('./pipeline-throughput.js')],
  ['pipeline-real-kafka', () => import('./pipeline-real-kafka.js')],
  ['braze-sandbox-cost', () => import('./sandbox-load.js')],
];

const only = process.argv.slice(2);
const rows: BenchResult[] = [];
for (const [name, load] of SCENARIOS) {
  if (only.length > 0 && !only.includes(name)) continue;
  process.stderr.write(`bench: ${name}…\n`);
  rows.push(...(await (await load()).run()));
}

const header = '| scenario | metric | value | unit | notes |\n|---|---|---:|---|---|';
const table = [header, ...rows.map((r) => `| ${r.scenario} | ${r.metric} | ${r.value} | ${r.unit} | ${r.notes ?? ''} |`)].join('\n');
const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
const doc = `# Benchmarks\n\nWritten by \`npm run bench\` on ${new Date().toISOString().slice(0, 10)}; machine: ${machine}.\nRows not marked \`real Kafka\` run in one process on the embedded sandbox (Kafka broker, Schema Registry, Braze sandbox), so\nthey measure tributary plus the sandbox sharing the same cores. The \`real Kafka\` rows run the same scenarios (same records,\nsame Braze latency) against Apache Kafka started by scripts/kafka-real.mjs in its own JVM on the same machine; they are left\nout, with a note on stderr, where Java 17+ or Maven is missing. In production, Kafka and Braze are elsewhere.\n\n${table}\n`;
process.stdout.write(`${table}\n`);
if (only.length === 0) writeFileSync(new URL('../BENCHMARKS.md', import.meta.url), doc);
process.exit(0);
