// Types of scripts/kafka-real.mjs for the TypeScript that imports it (bench/).
export declare const BROKERS_ENV: 'TRIBUTARY_TEST_KAFKA_BROKERS';
export declare class KafkaRealUnavailable extends Error {}
export declare function kafkaVersion(): string;
export declare function checkPrerequisites(): { java: string; javaMajor: number };
export declare function resolveClasspath(log?: (line: string) => void): string;
export interface RealKafka {
  /** e.g. ['127.0.0.1:40123'] */
  readonly brokers: string[];
  readonly version: string;
  readonly dataDir: string;
  /** Stops the broker (SIGTERM, then SIGKILL after 15 s) and deletes its data. */
  stop(): Promise<void>;
}
export interface RealKafkaOptions {
  /** JVM heap, e.g. '512m' (the default). */
  readonly heap?: string;
  /** auto.create.topics.enable; default false (tests and the bench create their topics). */
  readonly autoCreateTopics?: boolean;
  readonly readyTimeoutMs?: number;
  readonly jvmArgs?: readonly string[];
  readonly log?: (line: string) => void;
}
export declare function startRealKafka(options?: RealKafkaOptions): Promise<RealKafka>;
