import { invalid, type MapResult } from '../../core/ops.js';

/**
 * Thrown by the readers and rule checks while a record is being mapped, and turned into an `invalid`
 * result by `guardMapper`. Throwing keeps each mapper a straight line of reads; it never escapes a mapper.
 * `detail` names the field and the rule, never the value (it ends up in dead-letter headers).
 */
export class MappingError extends Error {
  readonly code: string;
  readonly detail: string;

  constructor(code: string, detail: string) {
    super(detail);
    this.name = 'MappingError';
    this.code = code;
    this.detail = detail;
  }
}

/** Stable dead-letter codes produced by the partner mappers. */
export const MAPPING_ERROR_CODES = {
  invalidRecord: 'invalid_record',
  missingField: 'missing_field',
  invalidField: 'invalid_field',
  unknownEnumValue: 'unknown_enum_value',
  noIdentifier: 'no_identifier',
  unknownHub: 'unknown_hub',
  invalidEmail: 'invalid_email',
  invalidPhone: 'invalid_phone',
  invalidName: 'invalid_name',
  brazeLimit: 'braze_limit',
  mapperError: 'mapper_error',
} as const;

/**
 * Makes a mapper total: a MappingError becomes its `invalid` result; anything else (a bug, or options
 * that config should have rejected) becomes `mapper_error` without the error's message, which could
 * quote record data.
 */
export function guardMapper<A extends unknown[]>(map: (...args: A) => MapResult): (...args: A) => MapResult {
  return (...args: A): MapResult => {
    try {
      return map(...args);
    } catch (error) {
      if (error instanceof MappingError) return invalid(error.code, error.detail);
      return invalid(MAPPING_ERROR_CODES.mapperError, 'unexpected error while mapping the record');
    }
  };
}
