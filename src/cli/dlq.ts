import { formatHelp, parseFlags, UsageError, type FlagSpec } from './args.js';
import { loadConfig, type TributaryConfig } from '../config/index.js';
import { letterDecoder, parseIsoDuration, readLetters, startRedrive, type Letter } from '../app/replay.js';
import { exitCodeOf, formatSummary, lineSink, onInterrupt, showProgress } from './replay.js';

const INSPECT_FLAGS: FlagSpec = {
  code: { type: 'string', help: 'only letters with this tributary.error.code' },
  since: { type: 'string', help: 'only letters failed at or after this ISO time, or this ISO duration ago (PT2H)' },
  limit: { type: 'number', help: 'look at the N most recent matching letters only' },
  json: { type: 'boolean', help: 'one JSON object on stdout instead of text' },
  config: { type: 'string', help: 'configuration file (JSON or YAML); without it every default applies' },
  help: { type: 'boolean', help: 'show this help' },
};

const REDRIVE_FLAGS: FlagSpec = {
  code: { type: 'string', help: 'only letters with this tributary.error.code' },
  since: { type: 'string', help: 'only letters failed at or after this ISO time, or this ISO duration ago (PT2H)' },
  'dry-run': { type: 'boolean', help: 'send nothing and write no letters: each request body goes to stdout as NDJSON, the summary to stderr' },
  config: { type: 'string', help: 'configuration file (JSON or YAML); without it every default applies' },
  help: { type: 'boolean', help: 'show this help' },
};

// ---------------------------------------------------------------------------------------------
// Masking personal data for display

/** `jane@example.com` → `j***@example.com`. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at <= 0) return maskId(email);
  return `${email[0]}***${email.slice(at)}`;
}

/** `+15555550100` → `+1******0100`: the first two and last four characters stay. */
export function maskPhone(phone: string): string {
  if (phone.length <= 6) return '*'.repeat(phone.length);
  return `${phone.slice(0, 2)}${'*'.repeat(phone.length - 6)}${phone.slice(-4)}`;
}

/** Names and identifiers: the first character, then `***`. */
export function maskId(id: string): string {
  return id.length === 0 ? '' : `${id[0]}***`;
}

const EMAIL_IN_TEXT = /[^\s"'<>()[\]{},;:]+@[^\s"'<>()[\]{},;:]+\.[^\s"'<>()[\]{},;:]+/g;
const PHONE_IN_TEXT = /\+?\d[\d\s().-]{7,}\d/g;

/** Free text with every email and phone-like number in it masked. */
export function redactPersonal(text: string): string {
  return text.replace(EMAIL_IN_TEXT, (e) => maskEmail(e)).replace(PHONE_IN_TEXT, (p) => maskPhone(p));
}

const PERSONAL_FIELDS = new Set(['email', 'email_address', 'phone', 'first_name', 'last_name', 'external_id', 'partner_user_id', 'braze_id']);

function maskField(name: string, value: string): string {
  if (name === 'email' || name === 'email_address') return maskEmail(value);
  if (name === 'phone') return maskPhone(value);
  return maskId(value);
}

/** A decoded value with personal fields masked (by name, at any depth) and emails and phones in other strings redacted. */
export function maskValue(value: unknown, field?: string): unknown {
  if (typeof value === 'string') return field !== undefined && PERSONAL_FIELDS.has(field) ? maskField(field, value) : redactPersonal(value);
  if (typeof value === 'number' && field !== undefined && PERSONAL_FIELDS.has(field)) return maskField(field, String(value));
  if (Array.isArray(value)) return value.map((v) => maskValue(v, field));
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = maskValue(v, k);
    return out;
  }
  return value;
}

/** Record keys are usually a user's id or email. */
export function maskKey(key: Buffer | null): string | null {
  if (key === null) return null;
  const text = key.toString('utf8');
  return text.includes('@') ? maskEmail(text) : /^\+?\d{7,}$/.test(text) ? maskPhone(text) : maskId(text);
}

// ---------------------------------------------------------------------------------------------

function sinceOf(raw: string | undefined, nowMs: number): number | undefined {
  if (raw === undefined) return undefined;
  const text = raw.startsWith('duration:') ? raw.slice('duration:'.length) : raw.startsWith('time:') ? raw.slice('time:'.length) : raw;
  if (/^P/i.test(text)) {
    try {
      return nowMs - parseIsoDuration(text);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  }
  const ms = Date.parse(text);
  if (!/^\d{4}-\d{2}-\d{2}/.test(text) || Number.isNaN(ms)) throw new UsageError(`--since takes an ISO time (2026-05-01T10:00:00Z) or an ISO duration (PT2H), not ${JSON.stringify(raw)}`);
  return ms;
}

interface Sample {
  readonly source: { topic: string; partition: number; offset: string };
  readonly letter: { partition: number; offset: string };
  readonly failedAt: string;
  readonly detail: string;
  readonly brazeErrorType?: string;
  readonly key: string | null;
  readonly value: unknown;
}

interface CodeGroup {
  readonly code: string;
  count: number;
  first: string;
  last: string;
  readonly sources: Record<string, number>;
  readonly samples: Sample[];
}

export interface Inspection {
  readonly topic: string;
  readonly letters: number;
  readonly codes: CodeGroup[];
}

const SAMPLES = 3;

/** Groups letters by code (most frequent first) with counts, source topics and up to three masked samples each. */
export async function inspectLetters(config: TributaryConfig, letters: readonly Letter[]): Promise<Inspection> {
  const decode = letterDecoder(config);
  const groups = new Map<string, CodeGroup>();
  for (const l of letters) {
    const at = new Date(l.failedAtMs).toISOString();
    let g = groups.get(l.code);
    if (!g) groups.set(l.code, (g = { code: l.code, count: 0, first: at, last: at, sources: {}, samples: [] }));
    g.count++;
    if (at < g.first) g.first = at;
    if (at > g.last) g.last = at;
    g.sources[l.source.topic] = (g.sources[l.source.topic] ?? 0) + 1;
    if (g.samples.length < SAMPLES) {
      const decoded = await decode(l);
      g.samples.push({
        source: l.source,
        letter: l.at,
        failedAt: at,
        detail: redactPersonal(l.detail),
        ...(l.brazeErrorType ? { brazeErrorType: l.brazeErrorType } : {}),
        key: maskKey(l.key),
        value: decoded.ok ? maskValue(decoded.value) : `<${l.value?.length ?? 0} bytes that do not decode: ${decoded.code}>`,
      });
    }
  }
  return { topic: config.topics.deadLetter, letters: letters.length, codes: [...groups.values()].sort((a, b) => b.count - a.count || (a.code < b.code ? -1 : 1)) };
}

export function formatInspection(i: Inspection): string {
  if (i.letters === 0) return `${i.topic}: no matching dead letters`;
  const lines = [`${i.topic}: ${i.letters} dead letter${i.letters === 1 ? '' : 's'}, ${i.codes.length} code${i.codes.length === 1 ? '' : 's'}`];
  for (const g of i.codes) {
    const sources = Object.entries(g.sources).map(([t, n]) => `${t}: ${n}`).join(', ');
    lines.push('', `${g.code}  ${g.count}  (${sources}; ${g.first} .. ${g.last})`);
    for (const s of g.samples) {
      lines.push(`  - ${s.source.topic}/${s.source.partition}@${s.source.offset}  failed ${s.failedAt}  (letter ${s.letter.partition}@${s.letter.offset})`);
      lines.push(`    detail: ${s.detail}${s.brazeErrorType ? ` [${s.brazeErrorType}]` : ''}`);
      lines.push(`    key: ${s.key ?? '(none)'}`);
      lines.push(`    value: ${typeof s.value === 'string' ? s.value : JSON.stringify(s.value)}`);
    }
  }
  return lines.join('\n');
}

async function inspect(argv: string[]): Promise<number> {
  const { flags, positionals } = parseFlags(argv, INSPECT_FLAGS);
  if (flags.help) {
    process.stdout.write(formatHelp('tributary dlq inspect [--code CODE] [--since ISO|PT2H] [--limit N] [--json] [--config FILE]', INSPECT_FLAGS) + '\n\nPersonal data is masked: emails j***@example.com, phones +1******0100, names and ids by their first character.\n');
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const limit = flags.limit as number | undefined;
  if (limit !== undefined && (!Number.isInteger(limit) || limit < 1)) throw new UsageError('--limit takes a positive integer');
  const sinceMs = sinceOf(flags.since as string | undefined, Date.now());
  const file = flags.config as string | undefined;
  const config = await loadConfig({ ...(file ? { file } : {}) });
  let letters = await readLetters(config, { ...(flags.code ? { code: flags.code as string } : {}), ...(sinceMs === undefined ? {} : { sinceMs }) });
  if (limit !== undefined) letters = [...letters].sort((a, b) => a.failedAtMs - b.failedAtMs).slice(-limit);
  const result = await inspectLetters(config, letters);
  process.stdout.write((flags.json ? JSON.stringify(result) : formatInspection(result)) + '\n');
  return 0;
}

async function redrive(argv: string[]): Promise<number> {
  const { flags, positionals } = parseFlags(argv, REDRIVE_FLAGS);
  if (flags.help) {
    process.stdout.write(
      formatHelp('tributary dlq redrive [--code CODE] [--since ISO|PT2H] [--dry-run] [--config FILE]', REDRIVE_FLAGS) +
        '\n\nSends the matching letters\' records through the pipeline again, in source order, events included.' +
        '\nOne letter per source record (its latest). A record that fails again gets a new letter.' +
        '\nLetters stay on the topic: running it twice sends twice. Exit status: 0 when nothing failed again, 1 otherwise.\n',
    );
    return 0;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(positionals[0])}`);
  const sinceMs = sinceOf(flags.since as string | undefined, Date.now());
  const dryRun = flags['dry-run'] === true;
  const file = flags.config as string | undefined;
  const config = await loadConfig({ ...(file ? { file } : {}) });
  const sink = dryRun ? lineSink('-') : null;
  const out = dryRun ? process.stderr : process.stdout;
  let interrupted = false;
  const handle = await startRedrive(config, {
    ...(flags.code ? { code: flags.code as string } : {}),
    ...(sinceMs === undefined ? {} : { sinceMs }),
    ...(sink ? { dryRun: sink.write } : {}),
  }).catch(async (err: unknown) => {
    await sink?.close();
    throw err;
  });
  process.stderr.write(`tributary dlq redrive: ${handle.total} records from ${config.topics.deadLetter}${dryRun ? ', dry run' : ''}\n`);
  const offSignal = onInterrupt('dlq redrive', () => {
    interrupted = true;
    handle.stop();
  });
  const endProgress = showProgress('redrive', handle);
  const summary = await handle.done;
  endProgress();
  offSignal();
  if (sink && summary.dryRun) sink.write(JSON.stringify({ requests: summary.dryRun.requests, objects: summary.dryRun.objects, estimatedDataPoints: summary.dryRun.dataPoints }));
  await sink?.close();
  const left = handle.withoutValue > 0 ? [`  left out          ${handle.withoutValue} letters written without their value (tributary.value.dropped): nothing to send`] : [];
  out.write(formatSummary(`redrive from ${config.topics.deadLetter}`, summary, left) + '\n');
  return exitCodeOf(summary, interrupted);
}

export async function dlqCommand(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === 'inspect') return inspect(rest);
  if (sub === 'redrive') return redrive(rest);
  if (sub === undefined || sub === '--help' || sub === 'help') {
    process.stdout.write('usage: tributary dlq inspect|redrive [options]\n\n  inspect   dead letters grouped by code, with masked samples\n  redrive   send dead letters through the pipeline again\n\nRun `tributary dlq <inspect|redrive> --help` for their options.\n');
    return sub === undefined ? 2 : 0;
  }
  throw new UsageError(`unknown dlq command ${JSON.stringify(sub)}; use inspect or redrive`);
}
