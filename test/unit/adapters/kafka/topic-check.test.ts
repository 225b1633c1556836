import { describe, expect, it } from 'vitest';
import { checkTopics, missingTopicsMessage } from '../../../../src/adapters/kafka/topic-check.js';
import { TributaryError } from '../../../../src/core/errors.js';

const brokers = ['k1:9092', 'k2:9092'];
const required = [
  { name: 'a.events', role: 'consumed' },
  { name: 'tributary.quikly.delayed', role: 'Quikly delayed steps', configs: { 'cleanup.policy': 'delete' } },
  { name: 'tributary.dlq', role: 'dead letters' },
];

/** An admin whose topics have one partition, led by broker 0 once `leaderAfter` metadata answers for it went by. */
function fakeAdmin(listTopics: () => Promise<string[]>, leaderAfter = 0) {
  const metadataAsked: string[] = [];
  const answers = new Map<string, number>();
  return {
    metadataAsked,
    listTopics,
    fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
      metadataAsked.push(...topics);
      return {
        topics: topics.map((name) => {
          const n = (answers.get(name) ?? 0) + 1;
          answers.set(name, n);
          return { name, partitions: [{ partitionId: 0, leader: n > leaderAfter ? 0 : -1, replicas: [0], isr: [0], offlineReplicas: [], partitionErrorCode: 0 }] };
        }),
      };
    },
    fetchTopicOffsets: async () => [{ partition: 0, offset: '0', high: '0', low: '0' }],
  };
}

describe('checkTopics', () => {
  it('passes when every topic exists', async () => {
    await expect(checkTopics(fakeAdmin(async () => ['x', ...required.map((t) => t.name)]), required, { brokers, wait: false })).resolves.toBe(true);
  });

  it('names each missing topic with a kafka-topics.sh line, the delayed topic with the delete cleanup policy', async () => {
    const err = await checkTopics(fakeAdmin(async () => ['a.events']), required, { brokers, wait: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TributaryError);
    expect((err as TributaryError).code).toBe('topics_missing');
    expect((err as Error).message).toBe(missingTopicsMessage(brokers, required.slice(1)));
    expect((err as Error).message.split('\n')).toEqual([
      'these 2 topics do not exist on k1:9092,k2:9092: tributary.quikly.delayed (Quikly delayed steps), tributary.dlq (dead letters).',
      'Create them (add --partitions and --replication-factor to override the broker\'s defaults):',
      '  kafka-topics.sh --bootstrap-server k1:9092,k2:9092 --create --topic tributary.quikly.delayed --config cleanup.policy=delete',
      '  kafka-topics.sh --bootstrap-server k1:9092,k2:9092 --create --topic tributary.dlq',
      'or set kafka.waitForTopics: true to start once they exist.',
    ]);
  });

  it('waits for missing topics, saying which, until they exist', async () => {
    const answers = [['a.events'], ['a.events', 'tributary.dlq'], required.map((t) => t.name)];
    const waiting: string[][] = [];
    let asked = 0;
    const admin = fakeAdmin(async () => answers[Math.min(asked++, answers.length - 1)]!, 2);
    const ok = await checkTopics(admin, required, {
      brokers, wait: true, pollMs: 1, onWaiting: (missing) => waiting.push(missing.map((t) => t.name)),
    });
    expect(ok).toBe(true);
    expect(asked).toBe(3);
    expect(waiting).toEqual([['tributary.quikly.delayed', 'tributary.dlq'], ['tributary.quikly.delayed']]);
    // The topics that appeared are waited on until their partitions have a leader (the third answer here).
    expect(admin.metadataAsked.toSorted()).toEqual(['tributary.dlq', 'tributary.dlq', 'tributary.dlq', 'tributary.quikly.delayed', 'tributary.quikly.delayed', 'tributary.quikly.delayed']);
  });

  it('stops waiting when aborted', async () => {
    const controller = new AbortController();
    const waiting = checkTopics(fakeAdmin(async () => []), required, { brokers, wait: true, pollMs: 60_000, signal: controller.signal, onWaiting: () => controller.abort() });
    await expect(waiting).resolves.toBe(false);
  });

  it('names the brokers and KAFKA_BROKERS when Kafka cannot be reached', async () => {
    const err = await checkTopics(fakeAdmin(async () => { throw new Error('Connection error: connect ECONNREFUSED 127.0.0.1:1'); }), required, { brokers: ['127.0.0.1:1'], wait: false }).catch((e: unknown) => e);
    expect((err as TributaryError).code).toBe('kafka_unreachable');
    expect((err as Error).message).toContain('cannot reach Kafka at 127.0.0.1:1 (Connection error: connect ECONNREFUSED 127.0.0.1:1); check KAFKA_BROKERS');
  });
});
