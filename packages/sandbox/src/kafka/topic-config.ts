// Topic-level configs as CreateTopics accepts them: the names Kafka 4.4 knows, each checked for its
// type and range as Kafka checks it. Only max.message.bytes changes what the sandbox does; the rest
// are stored and otherwise have no effect.

/** Kafka's broker default `message.max.bytes`: 1 MiB plus the 12-byte log overhead of a batch. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

type ConfigType =
  | { readonly kind: 'int' | 'long'; readonly min?: number }
  | { readonly kind: 'double'; readonly min: number; readonly max: number }
  | { readonly kind: 'boolean' }
  | { readonly kind: 'string'; readonly oneOf?: readonly string[] }
  | { readonly kind: 'list'; readonly oneOf?: readonly string[] };

const int = (min?: number): ConfigType => (min === undefined ? { kind: 'int' } : { kind: 'int', min });
const long = (min?: number): ConfigType => (min === undefined ? { kind: 'long' } : { kind: 'long', min });
const bool: ConfigType = { kind: 'boolean' };

/**
 * Kafka 4.4's topic-level configs (what DescribeConfigs lists for a topic, plus the internal
 * `internal.segment.bytes`), with the types and lower bounds of its LogConfig definitions.
 */
const TOPIC_CONFIGS: ReadonlyMap<string, ConfigType> = new Map<string, ConfigType>([
  ['cleanup.policy', { kind: 'list', oneOf: ['compact', 'delete'] }],
  ['compression.type', { kind: 'string', oneOf: ['uncompressed', 'zstd', 'lz4', 'snappy', 'gzip', 'producer'] }],
  ['compression.gzip.level', int()],
  ['compression.lz4.level', int()],
  ['compression.zstd.level', int()],
  ['delete.retention.ms', long(0)],
  ['errors.deadletterqueue.group.enable', bool],
  ['file.delete.delay.ms', long(0)],
  ['flush.messages', long(1)],
  ['flush.ms', long(0)],
  ['follower.replication.throttled.replicas', { kind: 'list' }],
  ['index.interval.bytes', int(0)],
  ['internal.segment.bytes', int()],
  ['leader.replication.throttled.replicas', { kind: 'list' }],
  ['local.retention.bytes', long(-2)],
  ['local.retention.ms', long(-2)],
  ['max.compaction.lag.ms', long(1)],
  ['max.decompressed.message.bytes', int(1)],
  ['max.message.bytes', int(0)],
  ['message.timestamp.after.max.ms', long(0)],
  ['message.timestamp.before.max.ms', long(0)],
  ['message.timestamp.type', { kind: 'string', oneOf: ['CreateTime', 'LogAppendTime'] }],
  ['min.cleanable.dirty.ratio', { kind: 'double', min: 0, max: 1 }],
  ['min.compaction.lag.ms', long(0)],
  ['min.insync.replicas', int(1)],
  ['preallocate', bool],
  ['remote.copy.lag.bytes', long(-1)],
  ['remote.copy.lag.ms', long(-1)],
  ['remote.log.copy.disable', bool],
  ['remote.log.delete.on.disable', bool],
  ['remote.storage.enable', bool],
  ['retention.bytes', long()],
  ['retention.ms', long(-1)],
  ['segment.bytes', int(1024 * 1024)],
  ['segment.index.bytes', int(4)],
  ['segment.jitter.ms', long(0)],
  ['segment.ms', long(1)],
  ['unclean.leader.election.enable', bool],
]);

const INT_MIN = -(2 ** 31);
const INT_MAX = 2 ** 31 - 1;
const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;
const INTEGER_TEXT = /^[+-]?\d+$/;
const DOUBLE_TEXT = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Why `value` is not valid for `type`, in Kafka's words, or null when it is. */
function problem(type: ConfigType, value: string): { shown: string; why: string } | null {
  const fail = (why: string) => ({ shown: value, why });
  switch (type.kind) {
    case 'int':
    case 'long': {
      const inRange = INTEGER_TEXT.test(value) && (type.kind === 'int'
        ? Number(value) >= INT_MIN && Number(value) <= INT_MAX
        : BigInt(value) >= LONG_MIN && BigInt(value) <= LONG_MAX);
      if (!inRange) return fail(`Not a number of type ${type.kind.toUpperCase()}`);
      if (type.min !== undefined && BigInt(value) < BigInt(type.min)) return fail(`Value must be at least ${type.min}`);
      return null;
    }
    case 'double': {
      if (!DOUBLE_TEXT.test(value)) return fail('Not a number of type DOUBLE');
      const n = Number(value);
      if (n < type.min) return fail(`Value must be at least ${type.min}`);
      if (n > type.max) return fail(`Value must be no more than ${type.max}`);
      return null;
    }
    case 'boolean':
      return /^(true|false)$/i.test(value) ? null : fail('Expected value to be either true or false');
    case 'string':
      return type.oneOf === undefined || type.oneOf.includes(value) ? null : fail(`String must be one of: ${type.oneOf.join(', ')}`);
    case 'list': {
      const allowed = type.oneOf;
      if (allowed === undefined || value === '') return null;
      // Kafka names the first element that is not allowed.
      const bad = value.split(',').map((s) => s.trim()).find((s) => !allowed.includes(s));
      return bad === undefined ? null : { shown: bad, why: `String must be one of: ${allowed.join(', ')}` };
    }
  }
}

export type TopicConfigs = ReadonlyMap<string, string>;

/**
 * Checks the configs of a CreateTopics entry as Kafka does: an unknown name, a null value or a
 * value of the wrong type or range is INVALID_CONFIG with Kafka's message. A name given twice keeps
 * its last value. Values are trimmed, as Kafka reads them.
 */
export function parseTopicConfigs(entries: readonly { name: string; value: string | null }[]): { configs: TopicConfigs } | { error: string } {
  const configs = new Map<string, string>();
  for (const { name, value } of entries) {
    const type = TOPIC_CONFIGS.get(name);
    if (type === undefined) return { error: `Unknown topic config name: ${name}` };
    if (value === null) return { error: `Null value not supported for topic configs: ${name}` };
    const trimmed = value.trim();
    const bad = problem(type, trimmed);
    if (bad !== null) return { error: `Invalid value ${bad.shown} for configuration ${name}: ${bad.why}` };
    configs.set(name, trimmed);
  }
  if (configs.get('remote.storage.enable')?.toLowerCase() === 'true') {
    return { error: 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.' };
  }
  return { configs };
}

/** The largest record batch the topic accepts, in bytes including the 12-byte log overhead. */
export function maxMessageBytes(configs: TopicConfigs): number {
  const value = configs.get('max.message.bytes');
  return value === undefined ? DEFAULT_MAX_MESSAGE_BYTES : Number(value);
}
