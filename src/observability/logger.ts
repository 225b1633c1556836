import { pino, destination, stdTimeFunctions, type Logger, type LevelWithSilent, type DestinationStream } from 'pino';

/**
 * Paths redacted in every log line: secrets and personal data (invariant 5).
 * Code never logs record values; these paths catch accidental inclusion of config or payloads.
 */
export const REDACT_PATHS = [
  'apiKey', '*.apiKey', 'braze.apiKey', 'password', '*.password', 'sasl.password', '*.sasl.password',
  'authorization', '*.authorization', 'headers.authorization', '*.headers.authorization',
  'email', '*.email', 'phone', '*.phone', 'first_name', '*.first_name', 'last_name', '*.last_name',
  'external_id', '*.external_id', 'key', 'ssl.key', '*.ssl.key',
  'token', '*.token', 'username', '*.username',
];

export function createLogger(options: { level?: LevelWithSilent; destination?: DestinationStream; name?: string } = {}): Logger {
  return pino(
    {
      name: options.name ?? 'tributary',
      level: options.level ?? 'info',
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: undefined,
      timestamp: stdTimeFunctions.isoTime,
    },
    options.destination ?? destination({ dest: 2, sync: false }),
  );
}

export type { Logger };
