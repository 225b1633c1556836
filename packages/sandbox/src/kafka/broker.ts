// Broker state shared by all connections: topics, the group coordinator, producer ids, and the
// waiters of parked Fetch requests that appends wake up.
import { DataDir, type MetaFile } from './data-dir.js';
import { GroupCoordinator } from './group-coordinator.js';
import type { PartitionLog } from './partition-log.js';
import type { TopicConfigs } from './topic-config.js';
import { isValidTopicName, type Topic, TopicRegistry } from './topic-registry.js';

export interface BrokerConfig {
  readonly host: string;
  readonly defaultPartitions: number;
  readonly autoCreate: boolean;
  readonly retentionBytes: number;
  readonly minSessionTimeoutMs: number;
  readonly maxSessionTimeoutMs: number;
  readonly dataDir: string | null;
  readonly log: (line: string) => void;
}

export class Broker {
  readonly topics: TopicRegistry;
  readonly groups: GroupCoordinator;
  readonly host: string;
  /** The bound port, advertised in Metadata and FindCoordinator; set once listening. */
  port = 0;
  private readonly dataDir: DataDir | null;
  private nextProducerId = 1;
  private readonly watchers = new Map<PartitionLog, Set<() => void>>();
  /** Parked requests that must be answered (with what they have) when the broker closes. */
  private readonly parked = new Set<() => void>();
  private closing = false;

  constructor(readonly config: BrokerConfig) {
    this.host = config.host;
    this.dataDir = config.dataDir === null ? null : new DataDir(config.dataDir, config.log);
    this.topics = new TopicRegistry({ retentionBytes: config.retentionBytes, dataDir: this.dataDir });
    this.groups = new GroupCoordinator({
      minSessionTimeoutMs: config.minSessionTimeoutMs,
      maxSessionTimeoutMs: config.maxSessionTimeoutMs,
      log: config.log,
      onOffsetsChanged: () => this.dataDir?.scheduleOffsetsSave(() => this.groups.snapshot()),
    });
    this.load();
  }

  get isClosing(): boolean {
    return this.closing;
  }

  log(line: string): void {
    this.config.log(line);
  }

  private load(): void {
    if (this.dataDir === null) return;
    const meta = this.dataDir.readMeta();
    if (meta !== null) {
      this.nextProducerId = meta.nextProducerId;
      for (const [name, t] of Object.entries(meta.topics)) this.topics.create(name, t.partitions, new Map(Object.entries(t.configs ?? {})));
      this.log(`kafka-sandbox: loaded ${Object.keys(meta.topics).length} topic(s) from ${this.dataDir.root}`);
    }
    const offsets = this.dataDir.readOffsets();
    if (offsets !== null) this.groups.load(offsets);
  }

  private saveMeta(): void {
    if (this.dataDir === null) return;
    const topics: MetaFile['topics'] = {};
    for (const t of this.topics.all()) {
      topics[t.name] = t.configs.size === 0 ? { partitions: t.partitions.length } : { partitions: t.partitions.length, configs: Object.fromEntries(t.configs) };
    }
    const meta: MetaFile = { version: 1, nextProducerId: this.nextProducerId, topics };
    this.dataDir.writeMeta(meta);
  }

  createTopic(name: string, partitions: number, configs?: TopicConfigs): Topic {
    const topic = this.topics.create(name, partitions, configs);
    this.saveMeta();
    const given = configs === undefined || configs.size === 0 ? '' : ` and configs ${[...configs].map(([k, v]) => `${k}=${v}`).join(', ')}`;
    this.log(`kafka-sandbox: created topic ${name} with ${partitions} partition(s)${given}`);
    return topic;
  }

  /** Auto-creation happens synchronously, so the first Metadata answer already has a leader. */
  getOrAutoCreate(name: string, allowed: boolean): Topic | undefined {
    const topic = this.topics.get(name);
    if (topic !== undefined) return topic;
    if (!allowed || !this.config.autoCreate || !isValidTopicName(name)) return undefined;
    return this.createTopic(name, this.config.defaultPartitions);
  }

  deleteTopic(name: string): boolean {
    const topic = this.topics.delete(name);
    if (topic === undefined) return false;
    this.saveMeta();
    this.log(`kafka-sandbox: deleted topic ${name}`);
    // Parked fetches on the topic answer at once with UNKNOWN_TOPIC_OR_PARTITION.
    for (const log of topic.partitions) this.notifyAppend(log);
    return true;
  }

  allocateProducerId(): number {
    const id = this.nextProducerId++;
    this.saveMeta();
    return id;
  }

  /** Calls `wake` after every append to `log` until the returned function is called. */
  watch(log: PartitionLog, wake: () => void): () => void {
    let set = this.watchers.get(log);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(log, set);
    }
    set.add(wake);
    return () => {
      const s = this.watchers.get(log);
      if (s === undefined) return;
      s.delete(wake);
      if (s.size === 0) this.watchers.delete(log);
    };
  }

  notifyAppend(log: PartitionLog): void {
    const set = this.watchers.get(log);
    if (set === undefined) return;
    for (const wake of [...set]) {
      try {
        wake();
      } catch (err) {
        this.log(`kafka-sandbox: waking a parked fetch failed: ${(err as Error).message}`);
      }
    }
  }

  /** Registers a parked request's "answer now" callback; returns the function to unregister it. */
  park(answerNow: () => void): () => void {
    this.parked.add(answerNow);
    return () => this.parked.delete(answerNow);
  }

  /** Answers everything parked, stops timers and flushes persistence. */
  close(): void {
    if (this.closing) return;
    this.closing = true;
    this.groups.close();
    for (const answerNow of [...this.parked]) {
      try {
        answerNow();
      } catch (err) {
        this.log(`kafka-sandbox: answering a parked request failed: ${(err as Error).message}`);
      }
    }
    this.parked.clear();
    this.dataDir?.scheduleOffsetsSave(() => this.groups.snapshot());
    this.dataDir?.flushOffsets();
    if (this.dataDir !== null) this.saveMeta();
    this.topics.close();
  }
}
