import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SampleRecordGenerator, SAMPLE_SMS_GROUP } from '../../../src/app/sample-records.js';
import type { DemoStack } from '../../../src/cli/demo-stack.js';
import { removeExternalResources, settled, startE2E, waitFor } from '../../helpers/e2e.js';

/**
 * The shipped alert rules and dashboard, checked by a real Prometheus: promtool checks and unit-tests the rules,
 * then a Prometheus server scrapes the pipeline running on the sandbox and must find series for every dashboard
 * query and every metric selector of the alert rules.
 */
const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const RULES = join(ROOT, 'deploy/prometheus/alerts.yml');
const RULES_TEST = join(ROOT, 'deploy/prometheus/alerts.test.yml');
const DASHBOARD = join(ROOT, 'deploy/grafana/tributary-dashboard.json');
const INSTALL_HINT = "install Debian's prometheus package (`apt-get install -y prometheus`; .ci/run does this), or put Prometheus 2.x's `prometheus` and `promtool` on PATH";

function requireTool(name: 'promtool' | 'prometheus'): void {
  const r = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (r.error) throw new Error(`${name} is needed by this test and was not found (${r.error.message}): ${INSTALL_HINT}`);
}

function run(cmd: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', cwd: ROOT, timeout: 20_000 });
  return { status: r.status, output: `${r.stdout ?? ''}${r.stderr ?? ''}` };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Every Prometheus expression of the dashboard, with Grafana's variables replaced as "All" and a short rate window would. */
function dashboardQueries(): Array<{ panel: string; expr: string }> {
  const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: Array<{ title: string; type: string; targets?: Array<{ expr: string }>; panels?: unknown[] }> };
  const out: Array<{ panel: string; expr: string }> = [];
  for (const p of dashboard.panels) {
    for (const t of p.targets ?? []) {
      out.push({ panel: p.title, expr: t.expr.replaceAll('$__rate_interval', '15s').replaceAll('$job', '.+').replaceAll('$instance', '.+') });
    }
  }
  return out;
}

interface AlertRule {
  readonly alert: string;
  readonly expr: string;
}

function alertRules(): AlertRule[] {
  const doc = parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: AlertRule[] }> };
  return doc.groups.flatMap((g) => g.rules);
}

/** The metric selectors an expression reads (`name` or `name{matchers}`), without their range. */
function selectorsOf(expr: string): string[] {
  return [...new Set([...expr.matchAll(/\b((?:tributary|process|nodejs)_[a-zA-Z0-9_]*)(\{[^}]*\})?/g)].map((m) => m[1]! + (m[2] ?? '')))];
}

let stack: DemoStack | null = null;
let prometheus: ChildProcess | null = null;
let dir: string | null = null;

afterEach(async () => {
  if (prometheus && prometheus.exitCode === null && prometheus.signalCode === null) {
    const p = prometheus;
    const exited = new Promise<void>((resolve) => p.once('exit', () => resolve()));
    p.kill('SIGTERM');
    const timer = setTimeout(() => p.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
  prometheus = null;
  await stack?.close();
  stack = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
  await removeExternalResources();
});

describe('the Prometheus alert rules and the Grafana dashboard', () => {
  it('pass promtool check rules, and promtool test rules fires each alert on its condition only', () => {
    requireTool('promtool');
    const check = run('promtool', ['check', 'rules', RULES]);
    expect(check.status, check.output).toBe(0);
    expect(check.output).toContain(`SUCCESS: ${alertRules().length} rules found`);
    const test = run('promtool', ['test', 'rules', RULES_TEST]);
    expect(test.status, test.output).toBe(0);
    // Every alert has a unit test that expects it to fire.
    const tests = readFileSync(RULES_TEST, 'utf8');
    for (const { alert } of alertRules()) expect(tests, `alerts.test.yml tests ${alert}`).toMatch(new RegExp(`alertname: ${alert}\\n\\s+exp_alerts:\\n\\s+- exp_labels`));
  });

  it('link each alert to its entry in docs/runbook.md', () => {
    const runbook = readFileSync(join(ROOT, 'docs/runbook.md'), 'utf8');
    const doc = parse(readFileSync(RULES, 'utf8')) as { groups: Array<{ rules: Array<{ alert: string; annotations: Record<string, string> }> }> };
    for (const rule of doc.groups.flatMap((g) => g.rules)) {
      expect(rule.annotations.runbook_url, rule.alert).toBe(`docs/runbook.md#${rule.alert.toLowerCase()}`);
      expect(runbook, `runbook entry for ${rule.alert}`).toContain(`\n## ${rule.alert}\n`);
    }
  });

  it('find series in a real Prometheus scraping the pipeline for every dashboard query and every alert selector', async () => {
    requireTool('prometheus');
    // Some of everything: bad records (dead letters), Quikly flows (look-ups, hand-offs), 5xx, resets and 429s
    // from Braze, and a small /users/track budget so that requests wait for it.
    stack = await startE2E({
      overrides: { observability: { port: 0 }, braze: { rateLimits: { 'users.track': { limit: 20, windowMs: 1000 } } } },
      braze: {
        subscriptionGroups: { [SAMPLE_SMS_GROUP]: 'sms' },
        script: [
          { path: '/users/track', fault: 'status', status: 503, times: 2 },
          { path: '/users/track', fault: 'rate-limit', retryAfterS: 1, times: 2 },
          { path: '/users/track', fault: 'reset' },
        ],
      },
    });
    const metricsUrl = stack.app.metricsUrl;
    expect(metricsUrl).not.toBeNull();
    const generator = new SampleRecordGenerator({ seed: 3, users: 60, badShare: 0.1, quiklyShare: 0.2 });
    const records = Array.from({ length: 300 }, () => generator.next());
    await stack.produce(records);

    dir = mkdtempSync(join(tmpdir(), 'tributary-prometheus-'));
    const port = await freePort();
    const configFile = join(dir, 'prometheus.yml');
    writeFileSync(configFile, [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(RULES)}]`,
      'scrape_configs:',
      '  - job_name: tributary',
      `    static_configs: [{ targets: [${JSON.stringify(new URL(metricsUrl!).host)}] }]`,
      '',
    ].join('\n'));
    const output: string[] = [];
    prometheus = spawn('prometheus', [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    prometheus.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
    prometheus.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    const api = `http://127.0.0.1:${port}`;
    const query = async (expr: string): Promise<{ status: string; error?: string; data?: { result: unknown[] } }> => {
      const res = await fetch(`${api}/api/v1/query?query=${encodeURIComponent(expr)}`);
      return (await res.json()) as { status: string; error?: string; data?: { result: unknown[] } };
    };
    await waitFor(async () => {
      if (prometheus?.exitCode !== null) throw new Error(`prometheus exited (${prometheus?.exitCode}): ${output.join('')}`);
      return fetch(`${api}/-/ready`).then((r) => r.ok, () => false);
    }, 'Prometheus to be ready', 15_000);

    await settled(stack, records.length, 30_000);

    const checks = [
      ...dashboardQueries().map((q) => ({ what: `dashboard panel "${q.panel}"`, expr: q.expr })),
      ...alertRules().flatMap((r) => selectorsOf(r.expr).map((s) => ({ what: `alert ${r.alert}'s selector`, expr: s }))),
    ];
    expect(checks.length).toBeGreaterThan(40);
    let empty: string[] = [];
    // Counters and histograms need two scrapes inside the rate window; the last series appear with the last deliveries.
    await waitFor(async () => {
      empty = [];
      for (const c of checks) {
        const r = await query(c.expr);
        if (r.status !== 'success') throw new Error(`${c.what}: Prometheus refused ${c.expr}: ${r.error}`);
        if ((r.data?.result.length ?? 0) === 0) empty.push(`${c.what}: ${c.expr}`);
      }
      return empty.length === 0;
    }, 'series for every query', 20_000).catch(() => {
      throw new Error(`no series in Prometheus for:\n  ${empty.join('\n  ')}`);
    });

    // The whole alert expressions are valid PromQL for the server, and the rules loaded and evaluate without error.
    for (const r of alertRules()) expect((await query(r.expr)).status, r.alert).toBe('success');
    const rules = (await (await fetch(`${api}/api/v1/rules`)).json()) as { data: { groups: Array<{ rules: Array<{ name: string; health: string; lastError?: string }> }> } };
    const loaded = rules.data.groups.flatMap((g) => g.rules);
    expect(loaded.map((r) => r.name).sort()).toEqual(alertRules().map((r) => r.alert).sort());
    for (const r of loaded) expect([r.name, r.health, r.lastError ?? '']).toEqual([r.name, 'ok', '']);
  }, 60_000);
});
