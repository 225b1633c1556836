/** Topics, schemas and offsets on the sandbox broker, seen from the orchestrator. */
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { createTopicsServed } from '../../src/adapters/kafka/topic-check.js';
import { publishSchemas, readTopicSchemas } from '../../src/adapters/schema-registry/schema-publisher.js';
import { ROOT } from './sandbox.js';

export interface TopicSpec {
  readonly name: string;
  readonly partitions: number;
  readonly configs?: Readonly<Record<string, string>>;
}

export class KafkaView {
  private constructor(readonly brokers: readonly string[], readonly admin: Admin) {}

  static async connect(brokers: readonly string[]): Promise<KafkaView> {
    const kafka = new Kafka({ clientId: 'bench-orchestrator', brokers: [...brokers], logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    return new KafkaView(brokers, admin);
  }

  async createTopics(topics: readonly TopicSpec[]): Promise<void> {
    const existing = new Set(await this.admin.listTopics());
    const missing = topics.filter((t) => !existing.has(t.name));
    if (missing.length === 0) return;
    await createTopicsServed(this.admin, missing.map((t) => ({
      topic: t.name,
      numPartitions: t.partitions,
      configEntries: Object.entries(t.configs ?? {}).map(([name, value]) => ({ name, value })),
    })));
  }

  /** Log start and end offsets summed over the topic's partitions. */
  async offsets(topic: string): Promise<{ low: number; high: number; partitions: number }> {
    const parts = await this.admin.fetchTopicOffsets(topic);
    return {
      low: parts.reduce((s, p) => s + Number(p.low), 0),
      high: parts.reduce((s, p) => s + Number(p.high), 0),
      partitions: parts.length,
    };
  }

  /** Records of `topics` the group has committed past (sum over partitions; uncommitted partitions count 0). */
  async committed(groupId: string, topics: readonly string[]): Promise<number> {
    const res = await this.admin.fetchOffsets({ groupId, topics: [...topics] });
    let sum = 0;
    for (const t of res) for (const p of t.partitions) if (Number(p.offset) > 0) sum += Number(p.offset);
    return sum;
  }

  async close(): Promise<void> {
    await this.admin.disconnect().catch(() => undefined);
  }
}

/**
 * Registers every topic schema in schemas/ under its subject `<topic>-value`; `rename` maps a default topic
 * name to the one a scenario uses.
 */
export async function registerSchemas(registryUrl: string, rename: (defaultTopic: string) => string = (t) => t): Promise<void> {
  await publishSchemas(registryUrl, readTopicSchemas(join(ROOT, 'schemas')), rename);
}
