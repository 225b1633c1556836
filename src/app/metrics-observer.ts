import type { Metrics } from '../observability/metrics.js';
import type { PipelineObserver } from '../core/ports.js';

/** Feeds what the pipeline observes into the Prometheus metrics. */
export function metricsObserver(m: Metrics): PipelineObserver {
  return {
    recordReceived: (partner, topic) => m.recordsReceived.inc({ partner, topic }),
    recordMapped: (partner, opCount) => {
      m.recordsMapped.inc({ partner });
      m.opsCreated.inc({ partner }, opCount);
    },
    recordSkipped: (partner, reason) => m.recordsSkipped.inc({ partner, reason }),
    recordDeadLettered: (partner, code) => m.recordsDeadLettered.inc({ partner, code }),
    recordDelivered: (partner, endToEndMs) => {
      m.recordsDelivered.inc({ partner });
      m.lastDelivered.setToCurrentTime({ partner });
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
    consumerLag: (topic, partition, lag) => m.consumerLag.set({ topic, partition: String(partition) }, Math.max(0, lag)),
    consumerLagReset: () => m.consumerLag.reset(),
    offsetCommitted: (topic) => m.offsetsCommitted.inc({ topic }),
    identityLookup: (outcome) => m.identityLookups.inc({ outcome }),
    flowEnded: (flow, outcome) => m.flowsEnded.inc({ flow, outcome }),
    handedOff: (topic, records) => m.handedOff.inc({ topic }, records),
  };
}
