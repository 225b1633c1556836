import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

// `npm run test:chaos`: the full-size chaos scenarios (test/chaos), one file at a time, under 10 minutes.
export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/chaos/**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    maxWorkers: 1,
    testTimeout: 300_000,
  },
});
