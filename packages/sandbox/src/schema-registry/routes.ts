import { parseCompatibilityLevel } from './compatibility.js';
import { RegistryError, invalidCompatibilityLevel, invalidVersion, schemaIdNotFound } from './errors.js';
import type { RegistryState, StoredSchema, SubjectVersion, VersionSelector } from './registry-state.js';
import { SCHEMA_TYPES, readSchemaInput } from './schemas.js';

export interface RouteRequest {
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The parsed JSON body; `{}` for routes without one or an empty body. */
  readonly body: Record<string, unknown>;
}

/** `json` is serialized as the response body; `text` is sent verbatim (the raw-schema endpoints). */
export type RouteResponse = { readonly json: unknown } | { readonly text: string };

export interface Route {
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly segments: readonly string[];
  readonly hasBody: boolean;
  handle(request: RouteRequest): RouteResponse;
}

export type RouteMatch =
  | { readonly route: Route; readonly params: Record<string, string> }
  | { readonly route: undefined; readonly error: RegistryError };

const MAX_VERSION = 2 ** 31 - 1;

function parseVersion(raw: string): VersionSelector {
  if (raw === 'latest' || raw === '-1') return 'latest';
  if (/^[0-9]{1,10}$/.test(raw)) {
    const n = Number(raw);
    if (n >= 1 && n <= MAX_VERSION) return n;
  }
  throw invalidVersion(raw);
}

function parseSchemaId(raw: string): number {
  // Ids are positive integers; anything else cannot name a schema, so it is simply not found.
  if (!/^[0-9]{1,10}$/.test(raw) || Number(raw) < 1) throw schemaIdNotFound(raw);
  return Number(raw);
}

function readLevel(body: Record<string, unknown>) {
  const level = parseCompatibilityLevel(body.compatibility);
  if (!level) throw invalidCompatibilityLevel(body.compatibility);
  return level;
}

/** Confluent leaves `schemaType` out for Avro and `references` out when there are none. */
function schemaFields(schema: StoredSchema): Record<string, unknown> {
  return {
    ...(schema.schemaType === 'AVRO' ? {} : { schemaType: schema.schemaType }),
    ...(schema.references.length > 0 ? { references: schema.references } : {}),
    schema: schema.schema,
  };
}

function versionFields(v: SubjectVersion): Record<string, unknown> {
  return { subject: v.subject, version: v.version, id: v.schema.id, ...schemaFields(v.schema) };
}

const flag = (query: URLSearchParams, name: string): boolean => query.get(name)?.toLowerCase() === 'true';

export function createRoutes(state: RegistryState): Route[] {
  const route = (
    method: Route['method'],
    path: string,
    handle: (request: RouteRequest) => unknown,
  ): Route => ({
    method,
    segments: path.split('/').filter(Boolean),
    hasBody: method === 'POST' || method === 'PUT',
    handle: (request) => ({ json: handle(request) }),
  });

  const compatibility = ({ params, query, body }: RouteRequest): unknown => {
    const selector = params.version === undefined ? undefined : parseVersion(params.version);
    const problems = state.compatibilityProblems(params.subject, readSchemaInput(body), selector);
    return { is_compatible: problems.length === 0, ...(flag(query, 'verbose') ? { messages: problems } : {}) };
  };

  return [
    route('GET', '/', () => ({})),
    route('GET', '/schemas/types', () => [...SCHEMA_TYPES]),
    route('GET', '/schemas/ids/:id', ({ params }) => schemaFields(state.schemaById(parseSchemaId(params.id)))),
    {
      method: 'GET',
      segments: ['schemas', 'ids', ':id', 'schema'],
      hasBody: false,
      handle: ({ params }) => ({ text: state.schemaById(parseSchemaId(params.id)).schema }),
    },
    route('GET', '/schemas/ids/:id/subjects', ({ params }) => [
      ...new Set(state.usagesOf(parseSchemaId(params.id)).map((u) => u.subject)),
    ]),
    route('GET', '/schemas/ids/:id/versions', ({ params }) => state.usagesOf(parseSchemaId(params.id))),

    route('GET', '/subjects', ({ query }) => state.subjectNames(query.get('subjectPrefix') ?? '')),
    route('POST', '/subjects/:subject', ({ params, body }) =>
      versionFields(state.lookup(params.subject, readSchemaInput(body))),
    ),
    route('DELETE', '/subjects/:subject', ({ params }) => state.deleteSubject(params.subject)),
    route('GET', '/subjects/:subject/versions', ({ params }) => state.versionsOf(params.subject)),
    route('POST', '/subjects/:subject/versions', ({ params, body }) => ({
      id: state.register(params.subject, readSchemaInput(body)).schema.id,
    })),
    route('GET', '/subjects/:subject/versions/:version', ({ params }) =>
      versionFields(state.getVersion(params.subject, parseVersion(params.version))),
    ),
    route('DELETE', '/subjects/:subject/versions/:version', ({ params }) =>
      state.deleteVersion(params.subject, parseVersion(params.version)),
    ),
    {
      method: 'GET',
      segments: ['subjects', ':subject', 'versions', ':version', 'schema'],
      hasBody: false,
      handle: ({ params }) => ({ text: state.getVersion(params.subject, parseVersion(params.version)).schema.schema }),
    },
    route('GET', '/subjects/:subject/versions/:version/referencedby', ({ params }) =>
      state.referencedBy(params.subject, parseVersion(params.version)),
    ),

    route('POST', '/compatibility/subjects/:subject/versions', compatibility),
    route('POST', '/compatibility/subjects/:subject/versions/:version', compatibility),

    route('GET', '/config', () => ({ compatibilityLevel: state.globalCompatibility })),
    route('PUT', '/config', ({ body }) => {
      const level = readLevel(body);
      state.setGlobalCompatibility(level);
      return { compatibility: level };
    }),
    route('DELETE', '/config', () => {
      const previous = state.globalCompatibility;
      state.setGlobalCompatibility('BACKWARD');
      return { compatibilityLevel: previous };
    }),
    // Deliberately no fallback to the global level here unless asked: the client reads a 404 as
    // "first registration" and then writes the subject's level.
    route('GET', '/config/:subject', ({ params, query }) => ({
      compatibilityLevel: state.subjectCompatibility(params.subject, flag(query, 'defaultToGlobal')),
    })),
    route('PUT', '/config/:subject', ({ params, body }) => {
      const level = readLevel(body);
      state.setSubjectCompatibility(params.subject, level);
      return { compatibility: level };
    }),
    route('DELETE', '/config/:subject', ({ params }) => ({
      compatibilityLevel: state.deleteSubjectCompatibility(params.subject),
    })),
  ];
}

/** A path that exists under another method is a 405, not a 404, so callers can tell a typo from a wrong verb. */
export function matchRoute(routes: readonly Route[], method: string, segments: readonly string[]): RouteMatch {
  let pathMatched = false;
  for (const route of routes) {
    if (route.segments.length !== segments.length) continue;
    const params: Record<string, string> = {};
    const ok = route.segments.every((pattern, i) => {
      if (pattern.startsWith(':')) {
        params[pattern.slice(1)] = segments[i];
        return true;
      }
      return pattern === segments[i];
    });
    if (!ok) continue;
    pathMatched = true;
    if (route.method === method) return { route, params };
  }
  return pathMatched
    ? { route: undefined, error: new RegistryError(405, 405, 'HTTP 405 Method Not Allowed') }
    : { route: undefined, error: new RegistryError(404, 404, 'HTTP 404 Not Found') };
}
