import type { Metrics } from '../observability/metrics.js';
import type { PipelineObserver } from '../core/ports.js';

/** Feeds what the pipeline observes into the Prometheus metrics. */
export function metricsObserver(m: Metrics): PipelineObserver {
  // The freshness gauge moves once per millisecond at most: a request's answer delivers dozens of records at once.
  const lastDeliveredAt = new Map<string, number>();
  return {
    recordsReceived: (partner, topic, count) => m.recordsReceived.inc({ partner, topic }, count),
    recordsMapped: (partner, records, ops) => {
      m.recordsMapped.inc({ partner }, records);
      m.opsCreated.inc({ partner }, ops);
    },
    recordSkipped: (partner, reason) => m.recordsSkipped.inc({ partner, reason }),
    recordDeadLettered: (partner, code) => m.recordsDeadLettered.inc({ partner, code }),
    recordDelivered: (partner, endToEndMs) => {
      m.recordsDelivered.inc({ partner });
      const now = Date.now();
      if (lastDeliveredAt.get(partner) !== now) {
        lastDeliveredAt.set(partner, now);
        m.lastDelivered.set({ partner }, now / 1000);
      }
      if (endToEndMs >= 0) m.endToEnd.observe({ partner }, endToEndMs / 1000);
    },
    brazeRequest: (endpoint, status, durationMs, objects, flushReason) => {
      m.brazeRequests.inc({ endpoint, status });
      m.brazeLatency.observe({ endpoint }, durationMs / 1000);
      m.brazeObjects.observe({ endpoint }, objects);
      m.batchesFlushed.inc({ endpoint, reason: flushReason });
    },
    brazeRetry: (endpoint, reason) => m.brazeRetries.inc({ endpoint, reason }),
    rateLimitWait: (endpoint, waitMs) => {
      m.rateLimitWaits.inc({ endpoint });
      m.rateLimitWaitSeconds.inc({ endpoint }, waitMs / 1000);
    },
    opsInFlight: (queued, inFlight) => {
      m.opsQueued.set(queued);
      m.opsInFlight.set(inFlight);
    },
    requestConcurrency: (endpoint, limit) => m.requestConcurrency.set({ endpoint }, limit),
    consumerLag: (topic, partition, lag) => m.consumerLag.set({ topic, partition: String(partition) }, Math.max(0, lag)),
    consumerLagReset: () => m.consumerLag.reset(),
    offsetCommitted: (topic) => m.offsetsCommitted.inc({ topic }),
    identityLookup: (outcome) => m.identityLookups.inc({ outcome }),
    flowEnded: (flow, outcome) => m.flowsEnded.inc({ flow, outcome }),
    handedOff: (topic, records) => m.handedOff.inc({ topic }, records),
  };
}
