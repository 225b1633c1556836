/** The machine, the commit, and BENCHMARKS.md. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { markdownTable, type ScenarioResult } from './report.js';
import { ROOT } from './sandbox.js';

export interface MachineFacts {
  readonly nproc: number;
  readonly cpuModel: string;
  readonly memoryGiB: number;
  readonly node: string;
  readonly date: string;
  readonly commit: string;
  readonly summary: string;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

export function machineFacts(): MachineFacts {
  const sha = git(['rev-parse', '--short', 'HEAD']) || 'unknown';
  // BENCHMARKS.md itself does not make the tree dirty: it is what this run writes.
  const dirty = git(['status', '--porcelain']).split('\n').filter((l) => l.trim() !== '' && !l.endsWith('BENCHMARKS.md')).length > 0;
  const nproc = availableParallelism();
  const cpuModel = cpus()[0]?.model?.trim() ?? 'unknown';
  const memoryGiB = Math.round(totalmem() / 2 ** 30);
  const date = new Date().toISOString().slice(0, 10);
  const commit = `${sha}${dirty ? '-dirty' : ''}`;
  return { nproc, cpuModel, memoryGiB, node: process.version, date, commit, summary: `${nproc} cores (${cpuModel}), ${memoryGiB} GiB, Node ${process.version}, commit ${commit}` };
}

export interface DocumentInput {
  readonly results: readonly ScenarioResult[];
  readonly failures: readonly string[];
  readonly facts: MachineFacts;
  readonly quick: boolean;
  readonly pinned: boolean;
  readonly pinReason: string;
  readonly lean: boolean;
  readonly leanSupported: boolean;
  readonly keepTakeoverHold: boolean;
  readonly elapsedS: number;
  /** Seconds spent finding or building Redpanda Connect before the run. */
  readonly peerSeconds: number;
  readonly only: readonly number[];
}

export function writeBenchmarksMd(d: DocumentInput): void {
  const f = d.facts;
  const rows = d.results.flatMap((r) => r.rows);
  const flags = d.results.flatMap((r) => r.flags);
  const lines = [
    '# Benchmarks',
    '',
    `Written by \`npm run bench${d.quick ? ' -- --quick' : ''}${d.only.length > 0 ? ` -- --only ${d.only.join(',')}` : ''}\` on ${f.date} at commit \`${f.commit}\`, in ${d.elapsedS.toFixed(0)} s${d.peerSeconds >= 1 ? ` (plus ${d.peerSeconds.toFixed(0)} s preparing Redpanda Connect)` : ''}${d.quick ? ' (quick run: smaller counts and time boxes)' : ''}.`,
    '',
    `- Machine: ${f.nproc} cores (${f.cpuModel}), ${f.memoryGiB} GiB, Node ${f.node}, ${process.platform} ${process.arch}.`,
    d.pinned
      ? '- Pinned with `taskset`: the process under test on core 0; the measuring stack (`tributary sandbox`: Kafka broker, Schema Registry, Braze sandbox), the orchestrator and the live producer on core 1.'
      : `- Not pinned (${d.pinReason}): the process under test and the measuring stack share every core, so the figures are less repeatable.`,
    d.lean
      ? '- Braze sandbox run with `--lean` (validation kept, request log off), except where a scenario below says otherwise.'
      : d.leanSupported
        ? '- Braze sandbox run without `--lean` (turned off with --no-lean): request log on.'
        : '- Braze sandbox run without `--lean`: the sandbox of this commit has no such flag, so it keeps its request log.',
    d.keepTakeoverHold
      ? '- tributary ran with its default configuration plus connection facts only (kafka.brokers, kafka.groupId, schemaRegistry.url, braze.restEndpoint, braze.apiKey, observability host/port/logLevel warn).'
      : '- tributary ran with its default configuration plus connection facts (kafka.brokers, a fresh kafka.groupId, schemaRegistry.url, braze.restEndpoint, braze.apiKey, observability host 127.0.0.1, a free port, logLevel warn) and `braze.ambiguityWindowMs: 0`. That setting only removes the 20 s wait after a first assignment that guards a takeover from a previous owner; a fresh group on fresh topics has none, and the wait happens before the first object, where no clock runs. Nothing on the hot path is tuned. `--keep-takeover-hold` keeps the default.',
    '- Every figure is measured from outside the process under test: objects and answers from the Braze sandbox\'s `GET /_sandbox/counters` (sampled every 250 ms; every 50 ms before the first object and near the end), CPU from `/proc/<pid>/stat` (utime+stime), memory from `/proc/<pid>/status` (VmRSS sampled, VmHWM at the end). A rate runs from the first object to the last (each placed midway between the samples around it); "middle 80 %" is the rate over the middle 80 % of that window.',
    `- Measuring stack headroom: the Braze sandbox process used at most ${Math.round(Math.max(0, ...d.results.map((r) => r.sandboxShare)) * 100)} % of its core over any measured window (${d.results.map((r) => `scenario ${r.id}: ${Math.round(r.sandboxShare * 100)} %`).join(', ')}); a run is flagged above 85 %.`,
    '- Verdicts are judged on the less favourable figure for tributary: its throughput is the lower of its overall and middle-80 % rates, a rival\'s the higher; MB are 10^6 bytes.',
    '',
    '## Results',
    '',
    markdownTable(rows),
    '',
  ];
  if (flags.length + d.failures.length > 0) {
    lines.push('## Flags', '', ...[...flags, ...d.failures].map((x) => `- ${x}`), '');
  }
  lines.push('## Scenarios', '');
  for (const r of d.results) lines.push(`### ${r.title}`, '', ...r.parameters.map((p) => `- ${p}`), '');
  lines.push(
    '## Running it',
    '',
    '```sh',
    'npm run bench                     # every scenario, full size (under 10 minutes); rewrites this file',
    'npm run bench -- --quick          # smaller counts (under 2 minutes); prints only, unless --write',
    'npm run bench -- --only 1,4       # some scenarios; prints only, unless --write',
    'npm run bench -- --help           # every option',
    '```',
    '',
    'Each run leaves its configuration files and every child process\'s output in a temporary folder it names on stderr.',
    '',
  );
  writeFileSync(join(ROOT, 'BENCHMARKS.md'), lines.join('\n'));
}
