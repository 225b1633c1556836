/**
 * Every code the record decoder can report, in one place so the README's table can be checked against it.
 * The first group dead-letters the record (the data itself cannot be read); the second makes the record wait
 * (the registry is away or not ready), except `schema_registry_disabled`, a configuration gap that
 * dead-letters every Avro record until a registry is configured.
 */
export const DECODE_ERROR_CODES = {
  emptyValue: 'empty_value',
  invalidWireFormat: 'invalid_wire_format',
  unknownFormat: 'unknown_format',
  invalidJson: 'invalid_json',
  unknownSchemaId: 'unknown_schema_id',
  unsupportedSchemaType: 'unsupported_schema_type',
  invalidSchema: 'invalid_schema',
  schemaReferenceNotFound: 'schema_reference_not_found',
  avroDecodeFailed: 'avro_decode_failed',
  schemaRegistryDisabled: 'schema_registry_disabled',

  schemaIdNotFoundYet: 'schema_id_not_found_yet',
  schemaRegistryUnreachable: 'schema_registry_unreachable',
  schemaRegistryError: 'schema_registry_error',
} as const;

export type DecodeErrorCode = (typeof DECODE_ERROR_CODES)[keyof typeof DECODE_ERROR_CODES];

/** The codes thrown as retryable errors: the record waits for the registry and is never dead-lettered. */
export const RETRYABLE_DECODE_ERROR_CODES: ReadonlySet<DecodeErrorCode> = new Set([
  DECODE_ERROR_CODES.schemaIdNotFoundYet,
  DECODE_ERROR_CODES.schemaRegistryUnreachable,
  DECODE_ERROR_CODES.schemaRegistryError,
]);
