import { parseCommand, type FlagSpec } from './args.js';
import { loadConfig } from '../config/index.js';
import { startTributary } from '../app/tributary-app.js';

const FLAGS: FlagSpec = {
  config: { type: 'string', help: 'configuration file (JSON or YAML); without it every default applies' },
  help: { type: 'boolean', help: 'show this help' },
};

/** Shared by `run` and `demo`: the first SIGINT/SIGTERM stops gracefully, a second one exits at once. */
export function onStopSignal(stop: () => Promise<void>): () => void {
  let count = 0;
  const handler = (signal: NodeJS.Signals) => {
    count++;
    if (count > 1) {
      process.stderr.write(`tributary: second ${signal}, exiting without waiting\n`);
      process.exit(130);
    }
    process.stderr.write(`tributary: ${signal} received, stopping (flushing in-flight work, committing offsets)\n`);
    void stop();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}

export async function runCommand(argv: string[]): Promise<number> {
  const { flags, helped } = parseCommand(argv, FLAGS, 'tributary run [--config FILE]', {
    epilog: 'Addresses and secrets come from KAFKA_BROKERS, SCHEMA_REGISTRY_URL, BRAZE_REST_ENDPOINT and BRAZE_API_KEY.',
  });
  if (helped) return 0;
  const file = flags.config as string | undefined;
  const config = await loadConfig({ ...(file ? { file } : {}) });
  const app = await startTributary(config);
  const off = onStopSignal(() => app.stop());
  if (app.metricsUrl) process.stderr.write(`tributary: running; metrics at ${app.metricsUrl}/metrics\n`);
  if (app.receiverUrl) process.stderr.write(`tributary: receiving Braze events at POST ${app.receiverUrl}\n`);
  await app.finished;
  off();
  return app.state() === 'crashed' ? 1 : 0;
}
