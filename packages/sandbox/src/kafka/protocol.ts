// API keys, the version range the sandbox implements for each, and the error codes it returns.

export const ApiKey = {
  Produce: 0,
  Fetch: 1,
  ListOffsets: 2,
  Metadata: 3,
  OffsetCommit: 8,
  OffsetFetch: 9,
  FindCoordinator: 10,
  JoinGroup: 11,
  Heartbeat: 12,
  LeaveGroup: 13,
  SyncGroup: 14,
  DescribeGroups: 15,
  ListGroups: 16,
  ApiVersions: 18,
  CreateTopics: 19,
  DeleteTopics: 20,
  InitProducerId: 22,
  DeleteGroups: 42,
} as const;

export type ApiKeyNumber = (typeof ApiKey)[keyof typeof ApiKey];

export interface VersionRange {
  readonly apiKey: number;
  readonly name: string;
  readonly minVersion: number;
  readonly maxVersion: number;
}

/**
 * The true range of each API. Every version here is below Kafka's flexible-version cut-off, so no
 * compact or tagged encodings are needed. Produce < 3 and Fetch < 4 use the old MessageSet format,
 * which the sandbox does not store, so they are not offered.
 */
export const SUPPORTED_VERSIONS: readonly VersionRange[] = [
  { apiKey: ApiKey.Produce, name: 'Produce', minVersion: 3, maxVersion: 7 },
  { apiKey: ApiKey.Fetch, name: 'Fetch', minVersion: 4, maxVersion: 11 },
  { apiKey: ApiKey.ListOffsets, name: 'ListOffsets', minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.Metadata, name: 'Metadata', minVersion: 0, maxVersion: 6 },
  { apiKey: ApiKey.OffsetCommit, name: 'OffsetCommit', minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.OffsetFetch, name: 'OffsetFetch', minVersion: 1, maxVersion: 4 },
  { apiKey: ApiKey.FindCoordinator, name: 'FindCoordinator', minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.JoinGroup, name: 'JoinGroup', minVersion: 0, maxVersion: 5 },
  { apiKey: ApiKey.Heartbeat, name: 'Heartbeat', minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.LeaveGroup, name: 'LeaveGroup', minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.SyncGroup, name: 'SyncGroup', minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.DescribeGroups, name: 'DescribeGroups', minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.ListGroups, name: 'ListGroups', minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.ApiVersions, name: 'ApiVersions', minVersion: 0, maxVersion: 2 },
  { apiKey: ApiKey.CreateTopics, name: 'CreateTopics', minVersion: 0, maxVersion: 3 },
  { apiKey: ApiKey.DeleteTopics, name: 'DeleteTopics', minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.InitProducerId, name: 'InitProducerId', minVersion: 0, maxVersion: 1 },
  { apiKey: ApiKey.DeleteGroups, name: 'DeleteGroups', minVersion: 0, maxVersion: 1 },
];

const RANGES = new Map(SUPPORTED_VERSIONS.map((r) => [r.apiKey, r]));

export function versionRange(apiKey: number): VersionRange | undefined {
  return RANGES.get(apiKey);
}

export function apiName(apiKey: number): string {
  return RANGES.get(apiKey)?.name ?? `api-${apiKey}`;
}

export const ErrorCode = {
  NONE: 0,
  OFFSET_OUT_OF_RANGE: 1,
  CORRUPT_MESSAGE: 2,
  UNKNOWN_TOPIC_OR_PARTITION: 3,
  MESSAGE_TOO_LARGE: 10,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_TOPIC_EXCEPTION: 17,
  INVALID_REQUIRED_ACKS: 21,
  ILLEGAL_GENERATION: 22,
  INCONSISTENT_GROUP_PROTOCOL: 23,
  INVALID_GROUP_ID: 24,
  UNKNOWN_MEMBER_ID: 25,
  INVALID_SESSION_TIMEOUT: 26,
  REBALANCE_IN_PROGRESS: 27,
  UNSUPPORTED_VERSION: 35,
  TOPIC_ALREADY_EXISTS: 36,
  INVALID_PARTITIONS: 37,
  INVALID_REPLICATION_FACTOR: 38,
  INVALID_REPLICA_ASSIGNMENT: 39,
  INVALID_CONFIG: 40,
  INVALID_REQUEST: 42,
  UNSUPPORTED_FOR_MESSAGE_FORMAT: 43,
  INVALID_PRODUCER_EPOCH: 47,
  NON_EMPTY_GROUP: 68,
  GROUP_ID_NOT_FOUND: 69,
  FETCH_SESSION_ID_NOT_FOUND: 70,
  UNSUPPORTED_COMPRESSION_TYPE: 76,
  MEMBER_ID_REQUIRED: 79,
} as const;

export const NODE_ID = 0;
export const CLUSTER_ID = 'tributary-sandbox';
/** Frames larger than this (or negative) end the connection that sent them. */
export const MAX_FRAME_BYTES = 100 * 1024 * 1024;
