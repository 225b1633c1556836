import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import { RegistryError } from './errors.js';
import type { StateFile } from './persistence.js';
import type { RegistryState } from './registry-state.js';
import { type RouteResponse, createRoutes, matchRoute } from './routes.js';

export const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** Far above any real schema, low enough that a runaway client cannot exhaust memory. */
export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

const ACCEPTED_BODY_TYPES = new Set([
  'application/json',
  'application/vnd.schemaregistry.v1+json',
  'application/vnd.schemaregistry+json',
  'application/octet-stream',
]);

export interface RegistryServerOptions {
  readonly state: RegistryState;
  readonly stateFile?: StateFile;
  readonly log?: (line: string) => void;
  readonly maxBodyBytes?: number;
  /** True once the sandbox is shutting down: responses then ask the client to drop the connection. */
  readonly isClosing: () => boolean;
}

export function createRegistryServer(options: RegistryServerOptions): Server {
  const routes = createRoutes(options.state);
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = req.method ?? 'GET';
    let status: number;
    let payload: string;
    try {
      const url = new URL(req.url ?? '/', 'http://sandbox');
      const match = matchRoute(routes, method, splitPath(url.pathname));
      if (!match.route) {
        req.resume();
        throw match.error;
      }
      const body = match.route.hasBody ? await readJsonBody(req, maxBodyBytes) : (req.resume(), {});
      const revision = options.state.revision;
      const result = match.route.handle({ params: match.params, query: url.searchParams, body });
      // Answer only once the change is on disk, so a restart right after a 200 never loses it.
      if (options.stateFile && options.state.revision !== revision) await saveState(options.stateFile, options.state);
      status = 200;
      payload = serialize(result);
    } catch (err) {
      const error = toRegistryError(err);
      if (error.status >= 500) options.log?.(`schema-registry: ${method} ${req.url} failed: ${describe(err)}`);
      status = error.status;
      payload = JSON.stringify({ error_code: error.errorCode, message: error.message });
    }
    options.log?.(`schema-registry: ${method} ${req.url} ${status}`);
    if (res.headersSent || res.destroyed) return;
    res.writeHead(status, {
      'content-type': CONTENT_TYPE,
      'content-length': Buffer.byteLength(payload),
      ...(options.isClosing() ? { connection: 'close' } : {}),
    });
    res.end(payload);
  };

  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      // Only reachable if writing the response itself throws; never let it take the process down.
      options.log?.(`schema-registry: response failed: ${describe(err)}`);
      res.destroy();
    });
  });
}

function serialize(result: RouteResponse): string {
  return 'text' in result ? result.text : JSON.stringify(result.json);
}

async function saveState(file: StateFile, state: RegistryState): Promise<void> {
  try {
    await file.save(state);
  } catch (err) {
    throw new RegistryError(500, 50001, `the change was applied but could not be saved to ${file.path}: ${describe(err)}`);
  }
}

/** Splits a path into decoded segments, so a subject like `a/b` can travel as `a%2Fb`. */
function splitPath(pathname: string): string[] {
  try {
    return pathname.split('/').filter((s) => s !== '').map((s) => decodeURIComponent(s));
  } catch {
    throw new RegistryError(404, 404, 'HTTP 404 Not Found (the path is not valid percent-encoding)');
  }
}

async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<Record<string, unknown>> {
  const raw = await readBody(req, maxBytes);
  const mediaType = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (mediaType !== '' && !ACCEPTED_BODY_TYPES.has(mediaType)) {
    throw new RegistryError(
      415,
      415,
      `HTTP 415 Unsupported Media Type: send application/vnd.schemaregistry.v1+json or application/json, not ${mediaType}`,
    );
  }
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new RegistryError(400, 400, `Malformed JSON in the request body: ${describe(err)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RegistryError(400, 400, 'The request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/**
 * Reads the whole body, but past the limit it only counts bytes: the client gets a clean 413
 * after it finished sending instead of a reset connection mid-upload.
 */
function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length']);
    let tooLarge = Number.isFinite(declared) && declared > maxBytes;
    let size = 0;
    let chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) tooLarge = true;
      if (tooLarge) chunks = [];
      else chunks.push(chunk);
    });
    req.on('end', () => {
      if (tooLarge) {
        reject(new RegistryError(413, 413, `The request body is larger than the ${maxBytes}-byte limit`));
      } else {
        resolve(Buffer.concat(chunks));
      }
    });
    req.on('error', reject);
    req.on('close', () => reject(new Error('the client closed the connection before sending the whole body')));
  });
}

function toRegistryError(err: unknown): RegistryError {
  if (err instanceof RegistryError) return err;
  return new RegistryError(500, 50001, `Internal error: ${describe(err)}`);
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
