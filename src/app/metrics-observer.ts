import type { Metrics } from '../observability/metrics.js';
import type { PipelineObserver } from '../core/ports.js';

/** Feeds what the pipeline observes into the Prometheus metrics. */
export function metricsObserver(m: Metrics): PipelineObserver {
  // Records are delivered in bursts (one answered request delivers dozens): the counter and the freshness gauge
  // move once per burst, and each partner's labels object is made once, not once per record.
  const labels = new Map<string, { partner: string }>();
  const labelsOf = (partner: string) => {
    let l = labels.get(partner);
    if (l === undefined) labels.set(partner, (l = { partner }));
    return l;
  };
  const delivered = new Map<string, number>();
  let flushQueued = false;
  const flushDelivered = () => {
    flushQueued = false;
    if (delivered.size === 0) return;
    const now = Date.now() / 1000;
    for (const [partner, count] of delivered) {
      m.recordsDelivered.inc(labelsOf(partner), count);
      m.lastDelivered.set(labelsOf(partner), now);
    }
    delivered.clear();
  };
  m.beforeDeliveriesRead(flushDelivered);
  return {
    recordsReceived: (partner, topic, count) => m.recordsReceived.inc({ partner, topic }, count),
    recordsMapped: (partner, records, ops) => {
      m.recordsMapped.inc({ partner }, records);
      m.opsCreated.inc({ partner }, ops);
    },
    recordSkipped: (partner, reason) => m.recordsSkipped.inc({ partner, reason }),
    recordDeadLettered: (partner, code) => m.recordsDeadLettered.inc({ partner, code }),
    recordDelivered: (partner, endToEndMs) => {
      delivered.set(partner, (delivered.get(partner) ?? 0) + 1);
      if (!flushQueued) {
        flushQueued = true;
        queueMicrotask(flushDelivered);
      }
      if (endToEndMs >= 0) m.endToEnd.observe(labelsOf(partner), endToEndMs / 1000);
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
