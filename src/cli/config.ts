import { parseCommand, UsageError, wantsHelp, type FlagSpec } from './args.js';
import { ConfigError, loadConfig, redactConfig } from '../config/index.js';
import { consumedTopics } from '../app/tributary-app.js';

const FLAGS: FlagSpec = {
  config: { type: 'string', help: 'configuration file (JSON or YAML)' },
  print: { type: 'boolean', help: 'print the effective configuration (secrets hidden)' },
  help: { type: 'boolean', help: 'show this help' },
};

/** `tributary config check`: validate the file plus environment, list every problem at once, exit 1 if any. */
export async function configCommand(argv: string[]): Promise<number> {
  const usage = 'tributary config check [--config FILE] [--print]';
  const [sub, ...rest] = argv;
  if (sub !== 'check') {
    if (sub !== undefined && wantsHelp([sub])) return parseCommand(['--help'], FLAGS, usage) && 0;
    throw new UsageError(sub === undefined ? 'which subcommand? (check)' : `unknown subcommand ${JSON.stringify(sub)}`, `usage: ${usage}`);
  }
  const { flags, helped } = parseCommand(rest, FLAGS, usage);
  if (helped) return 0;
  const file = flags.config as string | undefined;
  try {
    const config = await loadConfig({ ...(file ? { file } : {}) });
    try {
      consumedTopics(config);
    } catch (err) {
      process.stderr.write(`configuration has 1 problem:\n  - ${(err as Error).message}\n`);
      return 1;
    }
    process.stdout.write(`configuration OK${file ? ` (${file})` : ' (defaults and environment)'}\n`);
    if (flags.print) process.stdout.write(JSON.stringify(redactConfig(config), null, 2) + '\n');
    return 0;
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`configuration has ${err.problems.length} problem${err.problems.length === 1 ? '' : 's'}:\n${err.problems.map((p) => `  - ${p}`).join('\n')}\n`);
      return 1;
    }
    throw err;
  }
}
