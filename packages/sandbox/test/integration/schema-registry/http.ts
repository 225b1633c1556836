/** Small fetch wrapper for the endpoints the Confluent client does not expose. */
export interface HttpResult {
  readonly status: number;
  readonly contentType: string | null;
  readonly body: any;
}

export async function request(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
  init: { rawBody?: string; contentType?: string | null } = {},
): Promise<HttpResult> {
  const headers: Record<string, string> = {};
  const contentType = init.contentType === undefined ? 'application/vnd.schemaregistry.v1+json' : init.contentType;
  if (contentType !== null) headers['content-type'] = contentType;
  const sent = init.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
  // fetch labels a string body text/plain; bytes go out with no content type at all.
  const payload = sent !== undefined && contentType === null ? new TextEncoder().encode(sent) : sent;
  const response = await fetch(`${baseUrl}${path}`, { method, headers, body: payload });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Raw-schema endpoints may answer with non-JSON text (Protobuf); keep it as a string.
  }
  return { status: response.status, contentType: response.headers.get('content-type'), body: parsed };
}

export const avro = (schema: object): { schema: string } => ({ schema: JSON.stringify(schema) });

/** Structurally the client's RawAvroSchema, so fixtures can go to it directly as reader schemas. */
export interface RecordSchema {
  type: 'record';
  name: string;
  namespace?: string;
  fields: { name: string; type: unknown; default?: unknown }[];
}

export const userV1: RecordSchema = {
  type: 'record',
  name: 'User',
  namespace: 'com.example',
  fields: [{ name: 'id', type: 'string' }],
};

/** Adds a field with a default: readable both ways, so compatible under every level. */
export const userV2WithDefault: RecordSchema = {
  ...userV1,
  fields: [...userV1.fields, { name: 'age', type: 'int', default: 0 }],
};

/** Adds a field without a default: new readers cannot fill it from old data (breaks BACKWARD). */
export const userV2NoDefault: RecordSchema = {
  ...userV1,
  fields: [...userV1.fields, { name: 'age', type: 'int' }],
};

/** Changes the type of an existing field: incompatible in every direction. */
export const userIdAsInt: RecordSchema = {
  ...userV1,
  fields: [{ name: 'id', type: 'int' }],
};

/** Removes a field that has no default: old readers cannot fill it from new data (breaks FORWARD). */
export const userWithoutId: RecordSchema = {
  ...userV1,
  fields: [{ name: 'name', type: 'string', default: '' }],
};
