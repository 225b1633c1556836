import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { Registry } from 'prom-client';
import { createMetrics } from '../../../src/observability/metrics.js';

interface Panel {
  readonly title: string;
  readonly type: string;
  readonly gridPos: { x: number; y: number; w: number; h: number };
  readonly targets?: ReadonlyArray<{ expr: string }>;
}

const dashboard = JSON.parse(readFileSync(new URL('../../../deploy/grafana/tributary-dashboard.json', import.meta.url), 'utf8')) as { uid: string; panels: Panel[] };

describe('the Grafana dashboard', () => {
  it('charts every metric tributary defines', async () => {
    const registry = new Registry();
    createMetrics(registry, { defaultMetrics: false });
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n');
    for (const { name } of await registry.getMetricsAsJSON()) {
      expect(exprs, `a panel queries ${name}`).toMatch(new RegExp(`\\b${name}(_bucket|_sum|_count)?\\{`));
    }
  });

  it('filters every query by the job and instance variables, and lays out panels without overlap', () => {
    const taken = new Set<string>();
    for (const p of dashboard.panels) {
      for (const t of p.targets ?? []) {
        for (const m of t.expr.matchAll(/\b(?:tributary|process|nodejs)_[a-z0-9_]+\{([^}]*)\}/g)) {
          expect(m[1], `${p.title}: ${t.expr}`).toContain('job=~"$job", instance=~"$instance"');
        }
      }
      const { x, y, w, h } = p.gridPos;
      expect(x + w, p.title).toBeLessThanOrEqual(24);
      for (let i = x; i < x + w; i++) {
        for (let j = y; j < y + h; j++) {
          expect(taken.has(`${i},${j}`), `${p.title} overlaps another panel`).toBe(false);
          taken.add(`${i},${j}`);
        }
      }
    }
  });
});
