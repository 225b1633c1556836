/** One row of the benchmark table written to BENCHMARKS.md by `npm run bench`. */
export interface BenchResult {
  readonly scenario: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly notes?: string;
}

/** Every bench/<name>.ts exports a `run` of this type and is bounded in time (well under a minute). */
export type BenchScenario = () => Promise<BenchResult[]>;
