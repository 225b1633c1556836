import { describe, expect, it } from 'vitest';
import { FaultController } from '../../../src/braze/faults.js';
import { createRandom } from '../../../src/braze/random.js';

describe('FaultController', () => {
  it('consumes the first matching script step and counts down its times', () => {
    const faults = new FaultController(createRandom(1));
    faults.script([{ path: '/users/track', fault: 'status', status: 503, times: 2 }, { fault: 'reset' }]);
    expect(faults.decide('/users/export/ids').action?.kind).toBe('reset');
    expect(faults.decide('/users/track').action).toMatchObject({ kind: 'status', status: 503 });
    expect(faults.decide('/users/track').action).toMatchObject({ kind: 'status', status: 503 });
    expect(faults.decide('/users/track').action).toBeNull();
  });

  it('applies item-errors steps to /users/track only', () => {
    const faults = new FaultController(createRandom(1));
    faults.script([{ fault: 'item-errors', errors: [{ input_array: 'events', index: 0 }] }]);
    expect(faults.decide('/users/export/ids').action).toBeNull();
    expect(faults.decide('/users/track').action?.kind).toBe('item-errors');
  });

  it('draws the same decisions for the same seed', () => {
    const draw = () => {
      const faults = new FaultController(createRandom(99));
      faults.set({ errorRate: 0.3, resetRate: 0.1, hangRate: 0.1 });
      return Array.from({ length: 50 }, () => faults.decide('/users/track').action?.kind ?? 'none');
    };
    const first = draw();
    expect(draw()).toEqual(first);
    expect(new Set(first)).toEqual(new Set(['none', 'status', 'reset', 'hang']));
  });
});
