import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A mistake in the command line: exit code 2, the message, then the command's usage when known. */
export class UsageError extends Error {
  constructor(message: string, readonly usage?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export interface FlagSpec {
  readonly [name: string]: {
    readonly type: 'string' | 'number' | 'boolean';
    readonly help: string;
    /** String flags only: the flag may be given several times; its value is then every value, in order. */
    readonly repeatable?: boolean;
    /** One-letter alias (`help` always has `-h`). */
    readonly short?: string;
  };
}

export type ParsedFlags = Record<string, string | number | boolean | string[] | undefined>;

const known = (spec: FlagSpec) => Object.keys(spec).map((k) => `--${k}`).join(', ') || 'none';

/**
 * Parses `--flag value`, `--flag=value`, `-h`, and booleans as `--flag`, `--flag true|false` or
 * `--flag=true|false`, through node:util's parseArgs (strict: unknown options are errors).
 */
export function parseFlags(argv: readonly string[], spec: FlagSpec): { flags: ParsedFlags; positionals: string[] } {
  // parseArgs has no `--flag=false` for booleans (and no --no-flag before Node 22.4): settle them first.
  const explicit = new Map<string, boolean>();
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      args.push(...argv.slice(i));
      break;
    }
    const m = /^--([^=]+)(?:=(.*))?$/s.exec(arg);
    const def = m ? spec[m[1]!] : undefined;
    if (!m || def?.type !== 'boolean') {
      args.push(arg);
      continue;
    }
    const name = m[1]!;
    let raw = m[2];
    if (raw === undefined && (argv[i + 1] === 'true' || argv[i + 1] === 'false')) raw = argv[++i];
    if (raw === undefined || raw === 'true') explicit.set(name, true);
    else if (raw === 'false') explicit.set(name, false);
    else throw new UsageError(`option --${name} takes true or false, not ${JSON.stringify(raw)}`);
  }

  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const [name, def] of Object.entries(spec)) {
    const short = def.short ?? (name === 'help' ? 'h' : undefined);
    options[name] = {
      type: def.type === 'boolean' ? 'boolean' : 'string',
      ...(def.repeatable === true ? { multiple: true } : {}),
      ...(short ? { short } : {}),
    };
  }
  let parsed: { values: Record<string, unknown>; positionals: string[] };
  try {
    parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (err) {
    throw toUsageError(err as Error & { code?: string }, spec);
  }

  const flags: ParsedFlags = {};
  for (const [name, value] of Object.entries(parsed.values)) {
    const def = spec[name]!;
    if (def.type === 'number') {
      const raw = value as string;
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new UsageError(`option --${name} takes a number, not ${JSON.stringify(raw)}`);
      flags[name] = n;
    } else if (def.type === 'string') {
      flags[name] = def.repeatable === true ? [...(value as string[])] : (value as string);
    } else {
      flags[name] = value as boolean;
    }
  }
  for (const [name, value] of explicit) flags[name] = value;
  return { flags, positionals: parsed.positionals };
}

function toUsageError(err: Error & { code?: string }, spec: FlagSpec): UsageError {
  if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(err.message)?.[1] ?? err.message;
    return new UsageError(`unknown option ${flag}; known: ${known(spec)}`);
  }
  if (err.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const name = /--([\w-]+)/.exec(err.message)?.[1];
    if (name !== undefined && /argument missing/.test(err.message)) return new UsageError(`option --${name} needs a value`);
    return new UsageError(name === undefined ? err.message : `option --${name}: ${err.message}`);
  }
  return new UsageError(err.message);
}

export interface CommandLine {
  readonly flags: ParsedFlags;
  readonly positionals: string[];
  /** `-h`/`--help` was given: the help was printed, and the command must return 0 without doing anything. */
  readonly helped: boolean;
}

/**
 * Parses one command's arguments: `--help`/`-h` prints `usage` and the flags (nothing else runs), and a mistake
 * (an unknown option, a bad value, more positional arguments than `maxPositionals`) is a UsageError with the usage.
 */
export function parseCommand(argv: readonly string[], spec: FlagSpec, usage: string, options: { maxPositionals?: number; epilog?: string } = {}): CommandLine {
  const full: FlagSpec = spec.help ? spec : { ...spec, help: { type: 'boolean', help: 'show this help' } };
  const help = formatHelp(usage, full) + (options.epilog ? `\n\n${options.epilog}` : '');
  // Help wins over every other mistake on the line: `run -h --whatever` only prints help.
  if (wantsHelp(argv)) {
    process.stdout.write(help + '\n');
    return { flags: {}, positionals: [], helped: true };
  }
  let parsed: { flags: ParsedFlags; positionals: string[] };
  try {
    parsed = parseFlags(argv, full);
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(err.message, help);
    throw err;
  }
  const max = options.maxPositionals ?? 0;
  if (parsed.positionals.length > max) {
    const stray = parsed.positionals.slice(max).map((p) => JSON.stringify(p)).join(' ');
    throw new UsageError(`unexpected argument${parsed.positionals.length - max === 1 ? '' : 's'} ${stray}`, help);
  }
  return { ...parsed, helped: false };
}

/** `-h` or `--help` anywhere before a `--`. */
export function wantsHelp(argv: readonly string[]): boolean {
  for (const arg of argv) {
    if (arg === '--') return false;
    if (arg === '-h' || arg === '--help' || arg === '--help=true') return true;
  }
  return false;
}

export function formatHelp(usage: string, spec: FlagSpec): string {
  const lines = [`usage: ${usage}`, ''];
  for (const [name, def] of Object.entries(spec)) {
    const short = def.short ?? (name === 'help' ? 'h' : undefined);
    const flag = short ? `-${short}, --${name}` : `    --${name}`;
    lines.push(`  ${flag.padEnd(26)} ${def.help}`);
  }
  return lines.join('\n');
}
