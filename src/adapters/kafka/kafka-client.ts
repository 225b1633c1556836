import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type SASLOptions, type logCreator } from 'kafkajs';

export interface KafkaClientOptions {
  readonly brokers: readonly string[];
  readonly clientId: string;
  readonly connectionTimeoutMs: number;
  readonly requestTimeoutMs: number;
  readonly ssl: boolean | { ca?: string; cert?: string; key?: string; rejectUnauthorized?: boolean };
  readonly sasl: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string } | null;
  /** Receives kafkajs's own log lines (warn and above), without credentials. */
  readonly log?: (level: 'error' | 'warn' | 'info' | 'debug', message: string, extra: Record<string, unknown>) => void;
}

/** kafkajs client with TLS/SASL passed through. kafkajs's own logging is bridged at WARN and above. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const bridge: logCreator = () => ({ level, log }) => {
    const { message, ...extra } = log as { message: string } & Record<string, unknown>;
    const name = level === KafkaLogLevel.ERROR ? 'error' : level === KafkaLogLevel.WARN ? 'warn' : level === KafkaLogLevel.INFO ? 'info' : 'debug';
    delete extra.timestamp;
    delete extra.logger;
    options.log?.(name, message, extra);
  };
  const config: KafkaConfig = {
    clientId: options.clientId,
    brokers: [...options.brokers],
    connectionTimeout: options.connectionTimeoutMs,
    requestTimeout: options.requestTimeoutMs,
    logLevel: options.log ? KafkaLogLevel.WARN : KafkaLogLevel.NOTHING,
    logCreator: bridge,
  };
  if (options.ssl) config.ssl = options.ssl === true ? true : { ...options.ssl };
  if (options.sasl) config.sasl = { ...options.sasl } as SASLOptions;
  return new Kafka(config);
}
