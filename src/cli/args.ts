/** Minimal `--flag value` / `--flag=value` parser that rejects unknown flags with a clear message. */
export class UsageError extends Error {
  constructor(message: string) {
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
  };
}

export type ParsedFlags = Record<string, string | number | boolean | string[] | undefined>;

export function parseFlags(argv: readonly string[], spec: FlagSpec): { flags: ParsedFlags; positionals: string[] } {
  const flags: ParsedFlags = {};
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    const def = spec[name];
    if (!def) throw new UsageError(`unknown option --${name}; known: ${Object.keys(spec).map((k) => `--${k}`).join(', ') || 'none'}`);
    let raw: string | undefined = eq === -1 ? undefined : arg.slice(eq + 1);
    if (raw === undefined && def.type !== 'boolean') {
      raw = argv[++i];
      if (raw === undefined) throw new UsageError(`option --${name} needs a value`);
    }
    if (def.type === 'boolean') {
      if (raw === undefined) {
        const next = argv[i + 1];
        if (next === 'true' || next === 'false') {
          raw = next;
          i++;
        }
      }
      if (raw === undefined || raw === 'true') flags[name] = true;
      else if (raw === 'false') flags[name] = false;
      else throw new UsageError(`option --${name} takes true or false, not ${JSON.stringify(raw)}`);
    } else if (def.type === 'number') {
      const n = Number(raw);
      if (raw === '' || !Number.isFinite(n)) throw new UsageError(`option --${name} takes a number, not ${JSON.stringify(raw)}`);
      flags[name] = n;
    } else if (def.repeatable === true) {
      const seen = flags[name];
      flags[name] = Array.isArray(seen) ? [...seen, raw!] : [raw!];
    } else {
      flags[name] = raw;
    }
  }
  return { flags, positionals };
}

export function formatHelp(usage: string, spec: FlagSpec): string {
  const lines = [`usage: ${usage}`, ''];
  for (const [name, def] of Object.entries(spec)) lines.push(`  --${name.padEnd(22)} ${def.help}`);
  return lines.join('\n');
}
