/** One row of kafka-throughput.ts's figures (`npm run bench -- kafka-throughput`). */
export interface BenchResult {
  readonly scenario: string;
  readonly metric: string;
  readonly value: number;
  readonly unit: string;
  readonly notes?: string;
}
