// Topics and their partition logs, optionally backed by a data directory.
import type { DataDir } from './data-dir.js';
import { PartitionLog } from './partition-log.js';
import { maxMessageBytes, type TopicConfigs } from './topic-config.js';

export interface Topic {
  readonly name: string;
  readonly partitions: readonly PartitionLog[];
  /** The configs given at creation (checked by parseTopicConfigs). */
  readonly configs: TopicConfigs;
  /** The largest batch Produce accepts: `max.message.bytes`, or the broker default. */
  readonly maxMessageBytes: number;
}

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

/** Kafka's rule; it also keeps names safe to use as directory names. */
export function isValidTopicName(name: string): boolean {
  return LEGAL_TOPIC_NAME.test(name) && name !== '.' && name !== '..';
}

export interface TopicRegistryOptions {
  readonly retentionBytes: number;
  readonly dataDir: DataDir | null;
}

/** Segments roll at a quarter of the retention cap, so retention frees disk in small steps. */
function segmentBytesFor(retentionBytes: number): number {
  return Math.max(64 * 1024, Math.min(64 * 1024 * 1024, Math.floor(retentionBytes / 4)));
}

export class TopicRegistry {
  private readonly topics = new Map<string, Topic>();

  constructor(private readonly options: TopicRegistryOptions) {}

  get(name: string): Topic | undefined {
    return this.topics.get(name);
  }

  all(): Topic[] {
    return [...this.topics.values()];
  }

  /** Creates the topic with its logs (loading any persisted batches); the caller saves metadata. */
  create(name: string, partitionCount: number, configs: TopicConfigs = new Map()): Topic {
    const partitions: PartitionLog[] = [];
    for (let p = 0; p < partitionCount; p++) {
      const log = new PartitionLog(this.options.retentionBytes);
      this.options.dataDir?.openPartition(name, p, log, segmentBytesFor(this.options.retentionBytes));
      partitions.push(log);
    }
    const topic: Topic = { name, partitions, configs, maxMessageBytes: maxMessageBytes(configs) };
    this.topics.set(name, topic);
    return topic;
  }

  delete(name: string): Topic | undefined {
    const topic = this.topics.get(name);
    if (topic === undefined) return undefined;
    this.topics.delete(name);
    for (const log of topic.partitions) log.close();
    this.options.dataDir?.deleteTopic(name);
    return topic;
  }

  close(): void {
    for (const topic of this.topics.values()) for (const log of topic.partitions) log.close();
  }
}
