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
  const payload = init.rawBody ?? (body === undefined ? undefined : JSON.stringify(body));
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

export const userV1 = {
  type: 'record',
  name: 'User',
  namespace: 'com.example',
  fields: [{ name: 'id', type: 'string' }],
};

/** Adds a field with a default: readable both ways, so compatible under every level. */
export const userV2WithDefault = {
  ...userV1,
  fields: [...userV1.fields, { name: 'age', type: 'int', default: 0 }],
};

/** Adds a field without a default: new readers cannot fill it from old data (breaks BACKWARD). */
export const userV2NoDefault = {
  ...userV1,
  fields: [...userV1.fields, { name: 'age', type: 'int' }],
};

/** Changes the type of an existing field: incompatible in every direction. */
export const userIdAsInt = {
  ...userV1,
  fields: [{ name: 'id', type: 'int' }],
};

/** Removes a field that has no default: old readers cannot fill it from new data (breaks FORWARD). */
export const userWithoutId = {
  ...userV1,
  fields: [{ name: 'name', type: 'string', default: '' }],
};
