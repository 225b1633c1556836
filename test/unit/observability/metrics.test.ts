import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/observability/metrics.js';
import { metricsObserver } from '../../../src/app/metrics-observer.js';
import { startObservabilityServer } from '../../../src/observability/http-server.js';

describe('metrics', () => {
  it('documents every metric it defines in the README', async () => {
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.length).toBeGreaterThan(15);
    for (const name of names) expect(readme, `README documents ${name}`).toContain(`\`${name}\``);
  });

  it('exports Node and process metrics under their standard names, the build version, and each partner\'s last delivery', async () => {
    const registry = new Registry();
    const m = createMetrics(registry);
    const version = (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
    const before = Date.now() / 1000;
    metricsObserver(m).recordDelivered('komo', 1500);
    const text = await registry.metrics();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect(text).not.toContain('tributary_process_');
    expect(text).toContain(`tributary_build_info{version="${version}"} 1`);
    const delivered = (await m.lastDelivered.get()).values.find((v) => v.labels.partner === 'komo');
    expect(delivered?.value).toBeGreaterThanOrEqual(Math.floor(before));
    m.watchSchemaRegistry(() => true);
    expect(await registry.metrics()).toContain('tributary_schema_registry_problem 1');
  });

  it('counts every record of a burst of deliveries, per partner, with its end-to-end latency', async () => {
    const registry = new Registry();
    const m = createMetrics(registry);
    const observer = metricsObserver(m);
    for (let i = 0; i < 75; i++) observer.recordDelivered('actioniq', 40);
    observer.recordDelivered('komo', 2000);
    observer.recordDelivered('komo', -1);
    const counts = Object.fromEntries((await m.recordsDelivered.get()).values.map((v) => [v.labels.partner, v.value]));
    expect(counts).toEqual({ actioniq: 75, komo: 2 });
    const latency = (await m.endToEnd.get()).values.filter((v) => v.metricName === 'tributary_end_to_end_latency_seconds_count');
    expect(Object.fromEntries(latency.map((v) => [v.labels.partner, v.value]))).toEqual({ actioniq: 75, komo: 1 });
    expect((await m.lastDelivered.get()).values.map((v) => v.labels.partner).sort()).toEqual(['actioniq', 'komo']);
  });

  it('serves what the pipeline observed on /metrics, and health on /healthz and /readyz', async () => {
    const registry = new Registry();
    const m = createMetrics(registry, { defaultMetrics: false });
    const o = metricsObserver(m);
    o.recordsReceived('komo', 'komo.submissions', 1);
    o.recordDeadLettered('komo', 'unknown_hub');
    o.brazeRequest('/users/track', '201', 120, 75, 'count');
    let ready = false;
    const server = await startObservabilityServer({ host: '127.0.0.1', port: 0, registry, health: { healthy: () => ({ ok: true }), ready: () => ({ ok: ready, detail: { state: ready ? 'running' : 'starting' } }) } });
    try {
      const text = await (await fetch(`${server.url}/metrics`)).text();
      expect(text).toContain('tributary_records_received_total{partner="komo",topic="komo.submissions"} 1');
      expect(text).toContain('tributary_records_dead_lettered_total{partner="komo",code="unknown_hub"} 1');
      expect(text).toContain('tributary_braze_batches_flushed_total{endpoint="/users/track",reason="count"} 1');
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      const notReady = await fetch(`${server.url}/readyz`);
      expect([notReady.status, await notReady.json()]).toEqual([503, { ok: false, detail: { state: 'starting' } }]);
      ready = true;
      expect((await fetch(`${server.url}/readyz`)).status).toBe(200);
      expect((await fetch(`${server.url}/nope`)).status).toBe(404);
    } finally {
      await server.close();
    }
  });
});
