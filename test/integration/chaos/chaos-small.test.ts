import { describe, expect, it } from 'vitest';
import { brazeFaults, brazeOutage, processorKills } from '../../chaos/scenarios.js';

/**
 * A smaller run of the chaos scenarios of `npm run test:chaos`, for every `npm test`: Braze faults, an outage
 * and processor kills. The broker restarts and member churn run in `npm run test:chaos` only: with many
 * processes starting on a loaded machine they need more time than a suite run shares.
 */
describe('chaos (small)', () => {
  it('loses nothing and ends every user on the newest value while Braze misbehaves', async () => {
    const r = await brazeFaults(1);
    expect(r.lost).toBe(0);
    expect(r.finalStateViolations).toBe(0);
    expect(r.deadLetters).toBeLessThanOrEqual(2);
  }, 120_000);

  it('waits out a Braze outage without dead-lettering, and /readyz tells', async () => {
    const r = await brazeOutage(4000);
    expect([r.lost, r.finalStateViolations, r.deadLetters]).toEqual([0, 0, 0]);
  }, 120_000);

  it('survives a processor killed with SIGKILL three times', async () => {
    const r = await processorKills(3);
    expect([r.lost, r.finalStateViolations, r.deadLetters]).toEqual([0, 0, 0]);
  }, 180_000);
});
