/**
 * `npm run bench`: six scenarios, each measured from outside the processor. tributary runs as its own process
 * (`tributary run`, default configuration) pinned to core 0; the measuring stack (`tributary sandbox`: Kafka broker,
 * Schema Registry, Braze sandbox) and this orchestrator share core 1. Prints one table and, for a full run of every
 * scenario (or with --write), rewrites BENCHMARKS.md.
 *
 *   npm run bench                      all scenarios, full size (under 10 minutes), writes BENCHMARKS.md
 *   npm run bench -- --quick           smaller counts (under 2 minutes), writes nothing unless --write
 *   npm run bench -- --only 1,3        some scenarios (writes nothing unless --write)
 *   npm run bench -- kafka-throughput  the kafkajs-against-the-sandbox-broker figures (in process), printed only
 *   npm run bench -- braze-sandbox-cost  the Braze sandbox's own CPU per request, normal and lean, printed only
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decidePinning, killAllChildrenNow, pinSelf, setLogDir, stopAllChildren } from './lib/procs.js';
import { sandboxSupportsLean } from './lib/sandbox.js';
import { STACK_CPU, type BenchContext } from './lib/contest.js';
import { markdownTable, type ScenarioResult } from './lib/report.js';
import { machineFacts, writeBenchmarksMd } from './lib/document.js';
import { brazeBound, cpuCost } from './scenarios/braze-bound.js';
import { latency } from './scenarios/latency.js';
import { backlog } from './scenarios/backlog.js';
import { hotUser } from './scenarios/hot-user.js';
import { mixedPartners } from './scenarios/mixed.js';
import type { Stack } from './lib/stack.js';
import { loadPeer, type PeerLoad } from './lib/peer.js';

const USAGE = `usage: npm run bench -- [--quick] [--only 1,2,…] [--write | --no-write] [--no-pin] [--no-lean] [--keep-takeover-hold]
       npm run bench -- kafka-throughput
       npm run bench -- braze-sandbox-cost

  --quick               smaller counts and time boxes (under 2 minutes); BENCHMARKS.md is left alone unless --write
  --only N[,N…]         run only these scenarios (1 Braze-bound, 2 CPU, 3 latency, 4 backlog, 5 hot user, 6 mixed)
  --write               rewrite BENCHMARKS.md even for a quick or partial run
  --no-write            print only
  --no-pin              do not pin processes to cores (taskset), even where possible
  --no-lean             run the Braze sandbox with its request log even where --lean exists
  --keep-takeover-hold  keep braze.ambiguityWindowMs at its default: each tributary run waits 20 s after its
                        first assignment before sending (figures unchanged: the clock starts at the first object)`;

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', multiple: true },
    write: { type: 'boolean' },
    'no-write': { type: 'boolean', default: false },
    'no-pin': { type: 'boolean', default: false },
    'no-lean': { type: 'boolean', default: false },
    'keep-takeover-hold': { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}

if (positionals[0] === 'kafka-throughput' || positionals[0] === 'braze-sandbox-cost') {
  const { run } = positionals[0] === 'kafka-throughput' ? await import('./kafka-throughput.js') : await import('./sandbox-load.js');
  for (const r of await run()) process.stdout.write(`${r.scenario} | ${r.metric} | ${r.value} ${r.unit} | ${r.notes ?? ''}\n`);
  process.exit(0);
} else if (positionals.length > 0) {
  process.stderr.write(`unknown argument ${positionals[0]}\n${USAGE}\n`);
  process.exit(2);
}

const only = new Set((values.only ?? []).flatMap((v) => v.split(',')).map((v) => Number(v.trim())).filter((n) => n >= 1 && n <= 6));
if ((values.only ?? []).length > 0 && only.size === 0) {
  process.stderr.write(`--only takes scenario numbers 1 to 6\n${USAGE}\n`);
  process.exit(2);
}
const selected = (n: number) => only.size === 0 || only.has(n);
const quick = values.quick === true;
const write = values['no-write'] ? false : values.write ?? (!quick && only.size === 0);

const t0 = performance.now();
const log = (line: string) => process.stderr.write(`bench ${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s: ${line}\n`);

// Every child is stopped at the end, on error and on Ctrl-C.
let interrupted = false;
const onSignal = (signal: NodeJS.Signals) => {
  if (interrupted) {
    killAllChildrenNow();
    process.exit(130);
  }
  interrupted = true;
  log(`${signal}: stopping every child process…`);
  void stopAllChildren(2000).finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);
process.on('exit', killAllChildrenNow);

// Before pinning: once this process is pinned to one core, it sees only that one.
const facts = machineFacts();
const pinning = decidePinning(values['no-pin'] === true);
const pinnedSelf = pinning.pinned && pinSelf(STACK_CPU);
const pinned = pinning.pinned && pinnedSelf;
if (!pinned) log(`running unpinned: ${pinning.reason || 'taskset could not pin this process'}`);
const leanSupported = sandboxSupportsLean();
const lean = leanSupported && values['no-lean'] !== true;
if (!leanSupported) log('this sandbox has no --lean: it runs with its request log on');

const dir = mkdtempSync(join(tmpdir(), 'tributary-bench-'));
setLogDir(dir);

// Redpanda Connect (scenario 1 (d)) is found or built first, so a build never runs beside a measurement. Its time
// is not part of the budget below: it is the peer's set-up, once per machine.
let peer: PeerLoad = { ok: false, reason: 'scenario 1 not selected' };
let peerSeconds = 0;
if (selected(1)) {
  const t = performance.now();
  log('Redpanda Connect: preparing…');
  peer = await loadPeer((l) => log(`  redpanda-connect: ${l}`));
  peerSeconds = (performance.now() - t) / 1000;
  log(peer.ok ? `Redpanda Connect ${peer.build.version} ready (${peerSeconds.toFixed(0)} s${peer.build.built ? `, built in ${peer.build.buildSeconds.toFixed(0)} s` : ''})` : `Redpanda Connect skipped: ${peer.reason}`);
}

const startedAt = performance.now();
const budgetS = quick ? 105 : 560;
const ctx: BenchContext = {
  quick, pinned, lean, keepTakeoverHold: values['keep-takeover-hold'] === true, dir,
  deadline: startedAt + budgetS * 1000, log,
};
log(`${quick ? 'quick' : 'full'} run; ${pinned ? 'processor pinned to core 0, sandbox and orchestrator to core 1' : 'unpinned'}; sandbox ${lean ? '--lean' : 'with its request log'}; logs and configuration files in ${dir}`);

const results: ScenarioResult[] = [];
const failures: string[] = [];
const attempt = async (n: number, name: string, fn: () => Promise<ScenarioResult | null>) => {
  if (!selected(n)) return;
  if (performance.now() > ctx.deadline - 10_000) {
    failures.push(`scenario ${n} (${name}) skipped: the time budget of ${budgetS} s is spent`);
    return;
  }
  log(`scenario ${n}: ${name}…`);
  const t0 = performance.now();
  try {
    const r = await fn();
    if (r) results.push(r);
    log(`scenario ${n} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`);
  } catch (err) {
    const message = `scenario ${n} (${name}) failed: ${(err as Error).message}`;
    failures.push(message.split('\n')[0]!);
    log(message);
    await stopAllChildren(2000);
  }
};

let s1Rate: number | null = null;
let shared: Stack | null = null;
try {
  await attempt(1, 'Braze-bound throughput', async () => {
    const o = await brazeBound(ctx, selected(2), peer);
    s1Rate = o.tributaryRate;
    shared = o.stack;
    return o.result;
  });
  await attempt(2, 'CPU cost', async () => {
    const s = shared;
    shared = null;
    return cpuCost(ctx, s);
  });
  await attempt(3, 'latency', () => latency(ctx));
  await attempt(4, 'backlog memory', () => backlog(ctx));
  await attempt(5, 'hot user', () => hotUser(ctx, s1Rate));
  await attempt(6, 'mixed partners', () => mixedPartners(ctx));
} finally {
  const s: Stack | null = shared;
  if (s !== null) await (s as Stack).close().catch(() => undefined);
  await stopAllChildren(3000);
}

const elapsedS = (performance.now() - startedAt) / 1000;
const rows = results.sort((a, b) => a.id - b.id).flatMap((r) => r.rows);
process.stdout.write(`\n${markdownTable(rows)}\n\n`);
process.stdout.write(`${quick ? 'quick' : 'full'} run in ${elapsedS.toFixed(0)} s${peerSeconds >= 1 ? ` (plus ${peerSeconds.toFixed(0)} s preparing Redpanda Connect)` : ''}; ${facts.summary}; ${pinned ? 'pinned (processor core 0, measuring stack core 1)' : `unpinned (${pinning.reason})`}; sandbox ${lean ? '--lean' : 'request log on'}\n`);
const flags = results.flatMap((r) => r.flags);
if (results.length > 0) process.stdout.write(`measuring stack: the sandbox used at most ${Math.round(Math.max(...results.map((r) => r.sandboxShare)) * 100)} % of its core over a measured window (flagged above 85 %)\n`);
for (const f of [...flags, ...failures]) process.stdout.write(`! ${f}\n`);
if (write) {
  writeBenchmarksMd({ results, failures, facts, quick, pinned, pinReason: pinning.reason, lean, leanSupported, keepTakeoverHold: ctx.keepTakeoverHold, elapsedS, peerSeconds, only: [...only] });
  log('BENCHMARKS.md written');
}
process.exit(failures.length > 0 ? 1 : 0);
