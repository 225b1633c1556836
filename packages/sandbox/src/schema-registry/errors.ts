/**
 * An error that maps onto a Confluent error response: an HTTP status plus the
 * `error_code` that clients (and humans reading logs) key on.
 */
export class RegistryError extends Error {
  readonly status: number;
  readonly errorCode: number;

  constructor(status: number, errorCode: number, message: string) {
    super(message);
    this.name = 'RegistryError';
    this.status = status;
    this.errorCode = errorCode;
  }
}

export const subjectNotFound = (subject: string): RegistryError =>
  new RegistryError(404, 40401, `Subject '${subject}' not found.`);

export const versionNotFound = (subject: string, version: number): RegistryError =>
  new RegistryError(404, 40402, `Version ${version} not found for subject '${subject}'.`);

export const schemaIdNotFound = (id: string | number): RegistryError =>
  new RegistryError(404, 40403, `Schema ${id} not found`);

export const schemaNotFoundUnderSubject = (subject: string): RegistryError =>
  new RegistryError(404, 40403, `Schema not found under subject '${subject}'`);

export const subjectConfigNotFound = (subject: string): RegistryError =>
  new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);

export const incompatibleSchema = (subject: string, details: readonly string[]): RegistryError =>
  new RegistryError(
    409,
    409,
    `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${details.join('; ')}]`,
  );

export const invalidSchema = (detail: string): RegistryError =>
  new RegistryError(422, 42201, `Invalid schema: ${detail}`);

export const invalidVersion = (raw: string): RegistryError =>
  new RegistryError(
    422,
    42202,
    `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`,
  );

export const invalidCompatibilityLevel = (raw: unknown): RegistryError =>
  new RegistryError(
    422,
    42203,
    `Invalid compatibility level ${JSON.stringify(raw ?? null)}. Valid values are none, backward, forward, full, ` +
      'backward_transitive, forward_transitive, and full_transitive',
  );

export const referenceExists = (subject: string, version: number, ids: readonly number[]): RegistryError =>
  new RegistryError(
    422,
    42206,
    `One or more references exist to the schema {subject=${subject}, version=${version}}: schema ids ${ids.join(', ')}`,
  );
