import { describe, expect, it } from 'vitest';
import { brazeFaults, brazeOutage, brokerRestarts, memberChurn, processorKills } from '../../chaos/scenarios.js';

/** A smaller run of the chaos scenarios of `npm run test:chaos`, for every `npm test`. */
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

  it('survives the Kafka broker restarted mid-stream', async () => {
    const r = await brokerRestarts(1);
    expect([r.lost, r.finalStateViolations, r.deadLetters]).toEqual([0, 0, 0]);
  }, 180_000);

  it('survives members joining and leaving', async () => {
    const r = await memberChurn(3, 1500);
    expect([r.lost, r.finalStateViolations, r.deadLetters]).toEqual([0, 0, 0]);
  }, 180_000);
});
