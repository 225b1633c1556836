/** Rows of the results table, formatting, and the verdicts beside each target. */

export type Verdict = 'met' | 'missed' | 'n/a';

export interface Row {
  readonly scenario: string;
  /** Who or what the figure is about: a contestant, or the scenario's subject. */
  readonly subject: string;
  readonly metric: string;
  readonly value: string;
  readonly target?: string;
  readonly verdict?: Verdict;
  readonly notes?: string;
}

export interface ScenarioResult {
  readonly id: number;
  readonly title: string;
  /** What was run: counts, Braze settings, time boxes, … (BENCHMARKS.md lists them). */
  readonly parameters: string[];
  readonly rows: Row[];
  /** Warnings that bear on the figures (the sandbox near its core's limit, a run cut by its time box, …). */
  readonly flags: string[];
  /** The largest share of its core the sandbox used over a measured window of this scenario. */
  readonly sandboxShare: number;
}

export const int = (n: number) => Math.round(n).toLocaleString('en-US');
export const fixed = (n: number, digits = 1) => n.toFixed(digits);
export const pct = (n: number) => `${(n * 100).toFixed(0)} %`;
export const ratio = (n: number) => (Number.isFinite(n) ? `${n.toFixed(n >= 10 ? 1 : 2)}x` : 'n/a');

export function verdict(ok: boolean | null): Verdict {
  return ok === null ? 'n/a' : ok ? 'met' : 'missed';
}

const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function markdownTable(rows: readonly Row[]): string {
  const head = '| scenario | subject | metric | value | target | verdict | notes |\n|---|---|---|---:|---|---|---|';
  return [head, ...rows.map((r) => `| ${cell(r.scenario)} | ${cell(r.subject)} | ${cell(r.metric)} | ${cell(r.value)} | ${cell(r.target)} | ${cell(r.verdict)} | ${cell(r.notes)} |`)].join('\n');
}
