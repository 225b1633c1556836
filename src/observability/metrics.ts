import { readFileSync } from 'node:fs';
import { Counter, Gauge, Histogram, collectDefaultMetrics, type Registry } from 'prom-client';

/** The package version, from package.json at the package root (two levels up from src/observability and dist/observability). */
export const TRIBUTARY_VERSION: string = (() => {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
})();

/**
 * Every metric tributary exports, defined in one place. The registry is passed in, never global.
 * Labels are bounded sets (partner names, stable reason codes, endpoints, topics): never personal data.
 */
export function createMetrics(registry: Registry, options: { defaultMetrics?: boolean } = {}) {
  // Node and process metrics under their standard names (process_*, nodejs_*), so stock dashboards work.
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  let schemaRegistryWaiting: () => boolean = () => false;
  // Observers that count per burst rather than per record bring their figures up to date before every read.
  const beforeRead: Array<() => void> = [];
  const collect = () => {
    for (const flush of beforeRead) flush();
  };
  const m = {
    recordsReceived: new Counter({ name: 'tributary_records_received_total', help: 'Kafka records taken in, by partner and topic.', labelNames: ['partner', 'topic'], registers }),
    recordsMapped: new Counter({ name: 'tributary_records_mapped_total', help: 'Records a partner mapper turned into Braze operations.', labelNames: ['partner'], registers }),
    opsCreated: new Counter({ name: 'tributary_ops_created_total', help: 'Braze operations produced by the mappers.', labelNames: ['partner'], registers }),
    recordsSkipped: new Counter({ name: 'tributary_records_skipped_total', help: 'Records deliberately not sent (e.g. a reward state switched off), by reason.', labelNames: ['partner', 'reason'], registers }),
    recordsDeadLettered: new Counter({ name: 'tributary_records_dead_lettered_total', help: 'Records written to the dead-letter topic, by stable reason code.', labelNames: ['partner', 'code'], registers }),
    recordsDelivered: new Counter({ name: 'tributary_records_delivered_total', help: 'Records whose operations Braze acknowledged.', labelNames: ['partner'], registers, collect }),
    endToEnd: new Histogram({
      name: 'tributary_end_to_end_latency_seconds',
      help: 'From the Kafka record timestamp to the Braze acknowledgement of its last operation.',
      labelNames: ['partner'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800],
      registers,
    }),
    brazeRequests: new Counter({ name: 'tributary_braze_requests_total', help: 'Braze REST requests by endpoint and HTTP status (network_error when no response).', labelNames: ['endpoint', 'status'], registers }),
    brazeLatency: new Histogram({
      name: 'tributary_braze_request_duration_seconds',
      help: 'Braze REST request latency.',
      labelNames: ['endpoint'],
      buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    brazeObjects: new Histogram({
      name: 'tributary_braze_request_objects',
      help: 'Braze objects (attributes + events + purchases) per request.',
      labelNames: ['endpoint'],
      buckets: [1, 5, 10, 25, 50, 75],
      registers,
    }),
    batchesFlushed: new Counter({ name: 'tributary_braze_batches_flushed_total', help: 'Requests sent, by why the batch was flushed: count, bytes, linger, drain, split (bisecting a rejected batch).', labelNames: ['endpoint', 'reason'], registers }),
    brazeRetries: new Counter({ name: 'tributary_braze_retries_total', help: 'Braze requests scheduled for retry, by reason: rate-limited, server-error, network.', labelNames: ['endpoint', 'reason'], registers }),
    rateLimitWaits: new Counter({ name: 'tributary_rate_limit_waits_total', help: 'Times a request waited for the rate budget.', labelNames: ['endpoint'], registers }),
    rateLimitWaitSeconds: new Counter({ name: 'tributary_rate_limit_wait_seconds_total', help: 'Time requests waited for the rate budget (sum of announced waits).', labelNames: ['endpoint'], registers }),
    opsQueued: new Gauge({ name: 'tributary_ops_queued', help: 'Operations waiting to be sent (including retries waiting).', registers }),
    opsInFlight: new Gauge({ name: 'tributary_ops_in_flight', help: 'Operations in a request that has not completed.', registers }),
    requestConcurrency: new Gauge({ name: 'tributary_braze_concurrency_limit', help: 'Requests an endpoint may have in flight now: rate budget x observed latency (with a margin), halved after 5xx or network failures (not below 8), at most braze.maxConcurrentRequests.', labelNames: ['endpoint'], registers }),
    consumerLag: new Gauge({ name: 'tributary_consumer_lag', help: 'Records between the committed offset and the log end (high watermark), per partition this member owns, as kafka-consumer-groups.sh --describe reports it.', labelNames: ['topic', 'partition'], registers }),
    offsetsCommitted: new Counter({ name: 'tributary_offset_commits_total', help: 'Partition offsets committed.', labelNames: ['topic'], registers }),
    identityLookups: new Counter({ name: 'tributary_identity_lookups_total', help: 'Identity look-ups by email, by outcome: cache_hit, found, not_found (answered by /users/export/ids), coalesced (shared another look-up\'s request), error (dead-lettered).', labelNames: ['outcome'], registers }),
    handedOff: new Counter({ name: 'tributary_records_handed_off_total', help: 'Records written to the topics tributary owns (Quikly decisions, delayed steps), by topic key, once Kafka acknowledged them.', labelNames: ['topic'], registers }),
    flowsEnded: new Counter({ name: 'tributary_flows_ended_total', help: 'Flows (multi-step record handling, such as look-up then write) that ended, by flow and outcome (completed, dead_lettered).', labelNames: ['flow', 'outcome'], registers }),
    receiverRequests: new Counter({ name: 'tributary_receiver_requests_total', help: 'Requests to POST /ingest/braze-events, by answered status (202, 400, 401, 413, 503, ...).', labelNames: ['status'], registers }),
    receiverEvents: new Counter({ name: 'tributary_receiver_events_total', help: 'Braze events the receiver landed in topics.brazeEvents (acknowledged by Kafka).', registers }),
    ready: new Gauge({ name: 'tributary_ready', help: '1 when consuming and delivering; 0 when starting, stopping, or paused by a Braze configuration error.', registers }),
    notReady: new Gauge({ name: 'tributary_not_ready', help: '1 per cause that keeps /readyz at 503: state (starting, stopping, stopped, crashed), braze_config, braze_unavailable, schema_registry, kafka.', labelNames: ['cause'], registers }),
    brazeUnavailable: new Gauge({ name: 'tributary_braze_unavailable', help: '1 while an endpoint keeps failing with 5xx or network errors (its work waits; nothing is dead-lettered).', labelNames: ['endpoint'], registers }),
    buildInfo: new Gauge({ name: 'tributary_build_info', help: 'Always 1; the version label says which tributary release runs.', labelNames: ['version'], registers }),
    lastDelivered: new Gauge({ name: 'tributary_last_delivered_timestamp_seconds', help: 'Unix time at which a record of this partner was last delivered (for freshness alerts).', labelNames: ['partner'], registers, collect }),
    rebalances: new Counter({ name: 'tributary_rebalances_total', help: 'Consumer-group assignments this member received (one per rebalance it took part in).', registers }),
    deadLetterWriteFailures: new Counter({ name: 'tributary_dead_letter_write_failures_total', help: 'Failed writes to the dead-letter topic (each retried; the records stay uncommitted meanwhile).', registers }),
    schemaRegistryProblem: new Gauge({
      name: 'tributary_schema_registry_problem',
      help: '1 while records wait because their schemas cannot be fetched (registry unreachable, refusing credentials, id not found yet).',
      registers,
      collect() {
        this.set(schemaRegistryWaiting() ? 1 : 0);
      },
    }),
    brazeConfigError: new Gauge({ name: 'tributary_braze_config_error', help: '1 while Braze answers 401/403/404 (API key, permissions or endpoint wrong).', registers }),
  };
  m.buildInfo.set({ version: TRIBUTARY_VERSION }, 1);
  // The receiver's answers exist from the start, so dashboards and alerts see zeros rather than no series.
  for (const status of ['202', '400', '401', '413', '503']) m.receiverRequests.inc({ status }, 0);
  return {
    ...m,
    /** Where `tributary_schema_registry_problem` reads its value, at every scrape. */
    watchSchemaRegistry(waiting: () => boolean): void {
      schemaRegistryWaiting = waiting;
    },
    /** `flush` runs before `tributary_records_delivered_total` and the freshness gauge are read. */
    beforeDeliveriesRead(flush: () => void): void {
      beforeRead.push(flush);
    },
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
