import type { Admin } from 'kafkajs';
import { TributaryError } from '../../core/errors.js';

export interface RequiredTopic {
  readonly name: string;
  /** What tributary does with it, for the message ("consumed", "dead letters", …). */
  readonly role: string;
  /** Extra `kafka-topics.sh --config` settings it needs (e.g. cleanup.policy=delete). */
  readonly configs?: Readonly<Record<string, string>>;
}

export interface TopicCheckOptions {
  readonly brokers: readonly string[];
  /** Wait for the missing topics instead of throwing. */
  readonly wait: boolean;
  readonly pollMs?: number;
  /** Told once which topics are awaited, then again whenever the list changes. */
  readonly onWaiting?: (missing: readonly RequiredTopic[]) => void;
  /** Stops the wait early (resolves false). */
  readonly signal?: AbortSignal;
}

/** The `kafka-topics.sh --create` line for one topic; partitions and replication come from the broker's defaults. */
export function createTopicCommand(brokers: readonly string[], topic: RequiredTopic): string {
  const configs = Object.entries(topic.configs ?? {}).map(([k, v]) => ` --config ${k}=${v}`).join('');
  return `kafka-topics.sh --bootstrap-server ${brokers.join(',')} --create --topic ${topic.name}${configs}`;
}

/** The start-up refusal: which topics are missing, and the commands that create them. */
export function missingTopicsMessage(brokers: readonly string[], missing: readonly RequiredTopic[]): string {
  return [
    `${missing.length === 1 ? 'this topic does' : `these ${missing.length} topics do`} not exist on ${brokers.join(',')}: ${missing.map((t) => `${t.name} (${t.role})`).join(', ')}.`,
    'Create them (add --partitions and --replication-factor to override the broker\'s defaults):',
    ...missing.map((t) => `  ${createTopicCommand(brokers, t)}`),
    'or set kafka.waitForTopics: true to start once they exist.',
  ].join('\n');
}

/** A failed connection or metadata request, as "Kafka cannot be reached at …; check KAFKA_BROKERS". */
export function unreachableKafka(brokers: readonly string[], err: unknown): TributaryError {
  const reason = (err as Error).message ?? String(err);
  return new TributaryError(
    'kafka_unreachable',
    `cannot reach Kafka at ${brokers.join(',')} (${reason}); check KAFKA_BROKERS (or kafka.brokers), the network path and, if set, kafka.ssl and kafka.sasl`,
    { cause: err },
  );
}

/**
 * Checks that every required topic exists. Missing ones: without `wait` a `topics_missing` error naming them
 * with a create command each; with `wait`, polls until they exist (true) or the signal aborts (false).
 */
export async function checkTopics(admin: Pick<Admin, 'listTopics'>, required: readonly RequiredTopic[], options: TopicCheckOptions): Promise<boolean> {
  let told = '';
  for (;;) {
    let existing: Set<string>;
    try {
      existing = new Set(await admin.listTopics());
    } catch (err) {
      throw unreachableKafka(options.brokers, err);
    }
    const missing = required.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return true;
    if (!options.wait) throw new TributaryError('topics_missing', missingTopicsMessage(options.brokers, missing));
    const key = missing.map((t) => t.name).join(',');
    if (key !== told) {
      told = key;
      options.onWaiting?.(missing);
    }
    if (options.signal?.aborted) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, options.pollMs ?? 2000);
      function done() {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', done);
        resolve();
      }
      options.signal?.addEventListener('abort', done, { once: true });
    });
    if (options.signal?.aborted) return false;
  }
}
