/** Configuration: the only reader of process.env and config files. Validates, then freezes. */
export { loadConfig } from './load-config.js';
export type { LoadConfigOptions } from './load-config.js';
export { defaultConfig } from './default-config.js';
export { redactConfig } from './redact-config.js';
export { ConfigError } from './config-error.js';
export { CONFIG_SCHEMA } from './config-schema.js';
export { BRAZE_RATE_LIMIT_KEYS, INPUT_TOPIC_KEYS, LOG_LEVELS, OUTPUT_TOPIC_KEYS } from './config-types.js';
export type {
  BrazeConfig,
  BrazeObjectLimitMode,
  BrazeRateLimitKey,
  BrazeRetryConfig,
  DeepPartial,
  InputTopicKey,
  KafkaConfig,
  KafkaSaslOptions,
  KafkaSslOptions,
  LogLevel,
  ObservabilityConfig,
  OutputTopicKey,
  PipelineConfig,
  RateLimit,
  SaslMechanism,
  SchemaRegistryConfig,
  TopicsConfig,
  TributaryConfig,
} from './config-types.js';
