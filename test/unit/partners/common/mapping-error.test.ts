import { describe, expect, it } from 'vitest';
import { guardMapper, MappingError } from '../../../../src/partners/common/mapping-error.js';
import { ops } from '../../../../src/core/ops.js';

describe('guardMapper', () => {
  it('passes a result through', () => {
    const map = guardMapper(() => ops());
    expect(map()).toEqual({ type: 'ops', ops: [] });
  });

  it('turns a MappingError into an invalid result with its code and detail', () => {
    const map = guardMapper(() => {
      throw new MappingError('missing_field', 'field a is missing');
    });
    expect(map()).toEqual({ type: 'invalid', code: 'missing_field', detail: 'field a is missing' });
  });

  it('turns any other error into mapper_error without repeating its message', () => {
    const map = guardMapper((value: unknown) => {
      throw new Error(`broke on ${String(value)}`);
    });
    const result = map('jane@example.com');
    expect(result).toEqual({ type: 'invalid', code: 'mapper_error', detail: 'unexpected error while mapping the record' });
  });
});
