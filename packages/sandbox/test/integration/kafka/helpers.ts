// Shared setup for the sandbox broker's integration tests: unique names, a kafkajs client tuned for
// short timeouts, and a polling wait that fails with a clear message.
import { randomUUID } from 'node:crypto';
import { Kafka, type KafkaConfig, logLevel } from 'kafkajs';

export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 8)}`;
}

export function kafkaClient(brokers: string[], overrides: Partial<KafkaConfig> = {}): Kafka {
  return new Kafka({
    clientId: uniqueName('test'),
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { initialRetryTime: 50, retries: 5 },
    connectionTimeout: 2000,
    ...overrides,
  });
}

/** Consumer settings short enough for fast rebalances in tests. */
export const FAST_CONSUMER = {
  sessionTimeout: 3000,
  rebalanceTimeout: 3000,
  heartbeatInterval: 100,
  maxWaitTimeInMs: 100,
  retry: { initialRetryTime: 50, retries: 5 },
} as const;

/** Polls until `condition` holds, running `poll` (if given) before each check. */
export async function waitFor(
  condition: () => boolean,
  what: string,
  timeoutMs = 15_000,
  poll?: () => Promise<void>,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (poll !== undefined) await poll();
    if (condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, poll === undefined ? 20 : 100));
  }
}
