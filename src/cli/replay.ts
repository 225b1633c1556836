import { closeSync, openSync, writeSync } from 'node:fs';
import { formatHelp, parseFlags, UsageError, type FlagSpec } from './args.js';
import { loadConfig } from '../config/index.js';
import { TributaryError } from '../core/errors.js';
import { parseRangeEnd, parseRangeStart, startReplay, type RunHandle, type RunSummary, type SessionCounts } from '../app/replay.js';

const FLAGS: FlagSpec = {
  topic: { type: 'string', help: 'the input topic to replay (one the configuration consumes)' },
  partitions: { type: 'string', help: 'comma-separated partitions, e.g. 0,3 (default: all)' },
  from: { type: 'string', help: 'earliest | offset:N | time:ISO | duration:PT2H (that long ago), inclusive' },
  to: { type: 'string', help: 'latest (default: the end at start) | offset:N | time:ISO, exclusive' },
  'dry-run': { type: 'string', help: 'FILE or -: send nothing; write each request body as NDJSON there (- is stdout)' },
  events: { type: 'string', help: 'skip (default: events and purchases are not sent again) | send' },
  config: { type: 'string', help: 'configuration file (JSON or YAML); without it every default applies' },
  help: { type: 'boolean', help: 'show this help' },
};

const USAGE = 'tributary replay --topic T --from earliest|offset:N|time:ISO|duration:PT2H [--to latest|offset:N|time:ISO] [--partitions 0,3] [--dry-run FILE|-] [--events skip|send] [--config FILE]';

/** A sink for NDJSON lines: a file, or stdout (which then carries nothing else). */
export interface LineSink {
  readonly write: (line: string) => void;
  close(): Promise<void>;
}

export function lineSink(target: string): LineSink {
  if (target === '-') {
    return {
      write: (line) => void process.stdout.write(line + '\n'),
      close: () => new Promise((resolve) => process.stdout.write('', () => resolve())),
    };
  }
  const fd = openSync(target, 'w');
  return {
    write: (line) => void writeSync(fd, line + '\n'),
    close: async () => closeSync(fd),
  };
}

function clock(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const pad = (n: number) => String(n).padStart(2, '0');
  return h > 0 ? `${h}:${pad(m)}:${pad(s % 60)}` : `${m}:${pad(s % 60)}`;
}

/**
 * Progress on stderr: a bar redrawn in place on a terminal, a plain line every 10 s otherwise.
 * Done counts delivered, skipped and dead-lettered records.
 */
export function showProgress(label: string, handle: Pick<RunHandle, 'total' | 'counts'>, stream: NodeJS.WriteStream = process.stderr): () => void {
  const tty = stream.isTTY === true;
  const started = Date.now();
  const line = (): string => {
    const c: SessionCounts = handle.counts;
    const done = c.delivered + c.skipped + c.deadLettered;
    const elapsed = Math.max(1, Date.now() - started);
    const rate = (done * 1000) / elapsed;
    const left = rate > 0 ? ((handle.total - done) / rate) * 1000 : NaN;
    const pct = handle.total > 0 ? Math.min(100, Math.floor((done * 100) / handle.total)) : 100;
    const eta = Number.isFinite(left) ? `${clock(left)} left` : '--:-- left';
    const dead = `${c.deadLettered} dead letter${c.deadLettered === 1 ? '' : 's'}`;
    if (!tty) return `${label}: ${done}/${handle.total} records (${pct} %), ${rate.toFixed(0)}/s, ${eta}, ${dead}`;
    const width = 24;
    const filled = Math.round((pct / 100) * width);
    return `${label} [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${handle.total} ${pct}% · ${rate.toFixed(0)}/s · ${eta} · ${dead}`;
  };
  const timer = setInterval(() => {
    if (tty) stream.write(`\r\x1b[K${line()}`);
    else stream.write(line() + '\n');
  }, tty ? 250 : 10_000);
  timer.unref();
  return () => {
    clearInterval(timer);
    if (tty) stream.write(`\r\x1b[K${line()}\n`);
  };
}

/** SIGINT/SIGTERM: the first stops cleanly (a summary of what was done follows), a second exits at once. */
export function onInterrupt(name: string, stop: () => void): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    if (++count > 1) {
      process.stderr.write(`\ntributary ${name}: second ${signal}, exiting without waiting\n`);
      process.exit(130);
    }
    process.stderr.write(`\ntributary ${name}: ${signal} received, stopping (finishing what is in flight)\n`);
    stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

/** The human summary of a replay or redrive, one fact a line. */
export function formatSummary(title: string, s: RunSummary, extra: readonly string[] = []): string {
  const state = s.complete ? 'complete' : s.brazeProblem ? 'stopped: Braze refused the configuration' : 'interrupted';
  const codes = Object.entries(s.codes).map(([code, n]) => `${code}: ${n}`).join(', ');
  const lines = [
    `${title}: ${state}`,
    ...extra,
    `  records read      ${s.read} of ${s.total}`,
    `  delivered         ${s.delivered}`,
    `  skipped           ${s.skipped}`,
    `  dead-lettered     ${s.deadLettered}${codes ? ` (${codes})` : ''}`,
  ];
  if (s.deadLetters) {
    for (const p of s.deadLetters.partitions) lines.push(`    written to ${s.deadLetters.topic} partition ${p.partition}, offsets ${p.from}..${p.to}`);
  } else if (s.deadLettered > 0 && s.dryRun) {
    lines.push('    (dry run: no dead letter was written)');
  }
  lines.push(`  events skipped    ${s.eventsSkipped}${s.eventsSkipped > 0 ? ' (events and purchases are not sent again; --events send includes them)' : ''}`);
  lines.push(`  Braze requests    ${s.requests}${s.dryRun ? ' (dry run: none sent)' : ''}`);
  if (s.dryRun) lines.push(`  dry run           ${s.dryRun.requests} requests, ${s.dryRun.objects} objects, ~${s.dryRun.dataPoints} data points`);
  if (s.undelivered > 0) lines.push(`  undelivered       ${s.undelivered} operations were still queued or in flight when it ended`);
  if (s.brazeProblem) lines.push(`  ${s.brazeProblem}`);
  return lines.join('\n');
}

/** 0 when everything was delivered or skipped; 1 when something was dead-lettered or left undelivered; 130 when interrupted. */
export function exitCodeOf(s: RunSummary, interrupted: boolean): number {
  if (interrupted) return 130;
  return s.complete && s.deadLettered === 0 && s.undelivered === 0 ? 0 : 1;
}

function partitionsOf(raw: string | undefined): number[] | undefined {
  if (raw === undefined) return undefined;
  const list = raw.split(',').map((p) => p.trim()).filter(Boolean);
  if (list.length === 0 || !list.every((p) => /^\d+$/.test(p))) throw new UsageError(`--partitions takes comma-separated partition numbers such as 0,3, not ${JSON.stringify(raw)}`);
  return [...new Set(list.map(Number))].sort((a, b) => a - b);
}

function usage<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof TributaryError && err.code === 'usage') throw new UsageError(err.message);
    throw err;
  }
}

export async function replayCommand(argv: string[]): Promise<number> {
  const { flags, positionals } = parseFlags(argv, FLAGS);
  if (flags.help) {
    process.stdout.write(
      formatHelp(USAGE, FLAGS) +
        '\n\nReads exactly that range with a throw-away consumer group (the live group and its offsets are untouched) and delivers it like `run`.' +
        '\nBraze events are not idempotent: by default attributes are applied again and events and purchases are left out.' +
        '\nWith --dry-run, look-ups answer "not found". Exit status: 0 when nothing was dead-lettered, 1 otherwise, 130 when interrupted.\n',
    );
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const topic = flags.topic as string | undefined;
  if (!topic) throw new UsageError('--topic is required');
  const fromText = flags.from as string | undefined;
  if (!fromText) throw new UsageError('--from is required (earliest, offset:N, time:ISO or duration:PT2H)');
  const from = usage(() => parseRangeStart(fromText));
  const to = usage(() => parseRangeEnd((flags.to as string | undefined) ?? 'latest'));
  const events = (flags.events as string | undefined) ?? 'skip';
  if (events !== 'skip' && events !== 'send') throw new UsageError(`--events takes skip or send, not ${JSON.stringify(events)}`);
  const partitions = partitionsOf(flags.partitions as string | undefined);
  const dryRunTarget = flags['dry-run'] as string | undefined;
  const file = flags.config as string | undefined;
  const config = await loadConfig({ ...(file ? { file } : {}) });

  const sink = dryRunTarget === undefined ? null : lineSink(dryRunTarget);
  // With `--dry-run -` stdout carries the request bodies only; the summary goes to stderr.
  const out = dryRunTarget === '-' ? process.stderr : process.stdout;
  let interrupted = false;
  let handle: Awaited<ReturnType<typeof startReplay>>;
  try {
    handle = await startReplay(config, { topic, ...(partitions ? { partitions } : {}), from, to, skipEvents: events === 'skip', ...(sink ? { dryRun: sink.write } : {}) });
  } catch (err) {
    await sink?.close();
    if (err instanceof TributaryError && err.code === 'usage') throw new UsageError(err.message);
    throw err;
  }
  const range = handle.ranges.map((r) => `${r.partition}:${r.start}..${r.end}`).join(' ');
  process.stderr.write(`tributary replay: ${handle.total} records of ${topic} (partition:from..to, end exclusive: ${range || 'none'})${dryRunTarget !== undefined ? ', dry run' : ''}\n`);
  const offSignal = onInterrupt('replay', () => {
    interrupted = true;
    handle.stop();
  });
  const endProgress = showProgress('replay', handle);
  const summary = await handle.done;
  endProgress();
  offSignal();
  if (sink && summary.dryRun) {
    sink.write(JSON.stringify({ requests: summary.dryRun.requests, objects: summary.dryRun.objects, estimatedDataPoints: summary.dryRun.dataPoints }));
  }
  await sink?.close();
  out.write(formatSummary(`replay of ${topic}`, summary, [`  range             ${range || 'empty'}`]) + '\n');
  return exitCodeOf(summary, interrupted);
}
