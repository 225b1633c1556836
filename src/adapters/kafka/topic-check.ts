import type { Admin, ITopicConfig } from 'kafkajs';
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

/** Connects `admin`, or throws unreachableKafka (what to check) when Kafka cannot be reached. */
export async function connectAdmin(admin: Pick<Admin, 'connect'>, brokers: readonly string[]): Promise<void> {
  try {
    await admin.connect();
  } catch (err) {
    throw unreachableKafka(brokers, err);
  }
}

/**
 * Checks that every required topic exists. Missing ones: without `wait` a `topics_missing` error naming them
 * with a create command each; with `wait`, polls until they exist (true) or the signal aborts (false).
 */
export async function checkTopics(admin: Pick<Admin, 'listTopics' | 'fetchTopicMetadata' | 'fetchTopicOffsets'>, required: readonly RequiredTopic[], options: TopicCheckOptions): Promise<boolean> {
  let told = '';
  const awaited = new Set<string>();
  for (;;) {
    let existing: Set<string>;
    try {
      existing = new Set(await admin.listTopics());
    } catch (err) {
      throw unreachableKafka(options.brokers, err);
    }
    const missing = required.filter((t) => !existing.has(t.name));
    if (missing.length === 0) {
      // Topics that appeared while we waited may not have leaders yet; a consumer meeting that would restart.
      if (awaited.size > 0) await waitForLeaders(admin, [...awaited]);
      return true;
    }
    for (const t of missing) awaited.add(t.name);
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

/**
 * Waits until every partition of the topics is served by its leader. kafkajs's own `waitForLeaders` retries only
 * LEADER_NOT_AVAILABLE, but a real (KRaft) broker answers UNKNOWN_TOPIC_OR_PARTITION to Metadata, and then
 * NOT_LEADER_OR_FOLLOWER to ListOffsets, for a moment after CreateTopics returned. A consumer that meets the
 * latter restarts, and delivers again what it had not committed yet.
 */
export async function waitForLeaders(admin: Pick<Admin, 'fetchTopicMetadata' | 'fetchTopicOffsets'>, topics: readonly string[], timeoutMs = 30_000): Promise<void> {
  const transient = new Set(['UNKNOWN_TOPIC_OR_PARTITION', 'LEADER_NOT_AVAILABLE', 'NOT_LEADER_FOR_PARTITION']);
  const deadline = Date.now() + timeoutMs;
  const waiting = new Set(topics);
  for (;;) {
    let error: unknown = null;
    for (const topic of [...waiting]) {
      try {
        const { topics: [described] } = await admin.fetchTopicMetadata({ topics: [topic] });
        if (!described || described.partitions.length === 0 || described.partitions.some((p) => p.leader < 0)) continue;
        await admin.fetchTopicOffsets(topic);
        waiting.delete(topic);
      } catch (err) {
        const e = err as { type?: string; cause?: { type?: string } };
        if (!transient.has(e.type ?? e.cause?.type ?? '')) throw err;
        error = err;
      }
    }
    if (waiting.size === 0) return;
    if (Date.now() > deadline) throw new Error(`topics ${[...waiting].join(', ')} are not served by a leader after ${timeoutMs} ms${error ? `: ${String(error)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Creates topics and waits until their leaders serve them: without kafkajs's own leader wait, which gives up on
 * a real broker's first UNKNOWN_TOPIC_OR_PARTITION, and with waitForLeaders, which retries it.
 */
export async function createTopicsServed(admin: Pick<Admin, 'createTopics' | 'fetchTopicMetadata' | 'fetchTopicOffsets'>, topics: ITopicConfig[]): Promise<boolean> {
  const created = await admin.createTopics({ waitForLeaders: false, topics });
  await waitForLeaders(admin, topics.map((t) => t.topic));
  return created;
}
