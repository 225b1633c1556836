import { TributaryError } from '../core/errors.js';

/** The configuration cannot be used. Lists every problem found, not just the first, each saying what to fix. */
export class ConfigError extends TributaryError {
  override readonly code = 'config_invalid';
  readonly problems: readonly string[];

  constructor(problems: readonly string[], options: { file?: string; cause?: unknown } = {}) {
    super('config_invalid', formatMessage(problems, options.file), { retryable: false, cause: options.cause });
    this.name = 'ConfigError';
    this.problems = Object.freeze([...problems]);
  }
}

function formatMessage(problems: readonly string[], file: string | undefined): string {
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  const header = `invalid configuration (${count}${file === undefined ? '' : ` with config file ${file}`}):`;
  return [header, ...problems.map((problem) => `  - ${problem}`)].join('\n');
}
