import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { initialRateLimits, updateConfig } from './config.js';
import { handleControl } from './control.js';
import { EventAgeHistogram } from './event-age.js';
import { defaultBody, FaultController, sampleLatency, validateLatency, type FaultAction } from './faults.js';
import { SubscriptionGroups, type Handler, type HandlerContext, type LiveCounters } from './handler-context.js';
import { ARRAY_MAX_CONFIGURABLE_LENGTH } from './limits.js';
import { loadStore, saveStore } from './persistence.js';
import { ProfileStore, snapshot } from './profile-store.js';
import { createRandom, randomSeed } from './random.js';
import { RateLimiter, rateLimitHeaders, type RateDecision } from './rate-limiter.js';
import { REQUEST_LOG_OFF, RequestLog } from './request-log.js';
import {
  handleSubscriptionSetV1, handleSubscriptionSetV2, handleSubscriptionStatusGet, handleSubscriptionUserStatus,
} from './subscriptions.js';
import { isoAt } from './time.js';
import type {
  BrazeSandbox, BrazeSandboxConfig, BrazeSandboxCounters, BrazeSandboxOptions, BrazeSandboxProfile, BrazeSandboxRequest, BrazeSandboxState,
  FaultKind, JsonValue, ProfileRef, RateLimitGroup,
} from './types.js';
import { handleUsersExportIds } from './users-export.js';
import { handleAliasNew, handleIdentify } from './users-identity.js';
import { handleUsersTrack } from './users-track.js';
import { isUuid } from './validators.js';

interface Route {
  readonly permission: string;
  readonly group: RateLimitGroup;
  readonly handler: Handler;
}

/** Endpoint -> permission (braze-api.md §1) and rate-limit pool (§4). */
const ROUTES: ReadonlyMap<string, Route> = new Map([
  ['POST /users/track', { permission: 'users.track', group: 'users.track', handler: handleUsersTrack }],
  ['POST /users/export/ids', { permission: 'users.export.ids', group: 'users.export.ids', handler: handleUsersExportIds }],
  ['POST /users/alias/new', { permission: 'users.alias.new', group: 'users.identity', handler: handleAliasNew }],
  ['POST /users/identify', { permission: 'users.identify', group: 'users.identity', handler: handleIdentify }],
  ['POST /subscription/status/set', { permission: 'subscription.status.set', group: 'subscription.status.set', handler: handleSubscriptionSetV1 }],
  ['POST /v2/subscription/status/set', { permission: 'subscription.status.set', group: 'subscription.status.set', handler: handleSubscriptionSetV2 }],
  ['GET /subscription/status/get', { permission: 'subscription.status.get', group: 'default', handler: handleSubscriptionStatusGet }],
  ['GET /subscription/user/status', { permission: 'subscription.groups.get', group: 'default', handler: handleSubscriptionUserStatus }],
]);

/** The paths of ROUTES. */
const ROUTE_PATHS: ReadonlySet<string> = new Set([...ROUTES.keys()].map((key) => key.slice(key.indexOf(' ') + 1)));
/** The query of a request without one; handlers only read it. */
const NO_QUERY = new URLSearchParams();

type ParsedBody = { readonly ok: true; readonly value: JsonValue } | { readonly ok: false };

function parseBody(raw: string): ParsedBody {
  if (raw === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(raw) as JsonValue };
  } catch {
    return { ok: false };
  }
}

export const DEFAULT_API_KEY = 'sandbox-api-key';
const MAX_BODY_BYTES = 16 * 1024 * 1024;
/** Unparsable bodies are logged as text, cut to this many characters to keep the log bounded. */
const MAX_LOGGED_TEXT = 10_000;

function newCounters(): LiveCounters {
  const array = () => ({ received: 0, processed: 0, errors: 0 });
  return {
    requests: 0,
    byEndpoint: {},
    objects: { attributes: array(), events: array(), purchases: array() },
    dataPoints: { total: 0, attributes: 0, events: 0, purchases: 0 },
    rateLimited: 0,
    faults: { status: 0, rateLimit: 0, reset: 0, hang: 0, delay: 0, itemErrors: 0, latency: 0 },
    profiles: 0,
  };
}

const FAULT_COUNTER: Record<FaultKind, keyof BrazeSandboxCounters['faults']> = {
  'status': 'status', 'rate-limit': 'rateLimit', 'reset': 'reset', 'hang': 'hang', 'delay': 'delay',
  'item-errors': 'itemErrors', 'latency': 'latency',
};

function validateOptions(options: BrazeSandboxOptions): void {
  const nonNegativeInt = (name: string, v: unknown) => {
    if (v !== undefined && (typeof v !== 'number' || !Number.isInteger(v) || v < 0)) throw new RangeError(`${name} must be a non-negative integer`);
  };
  nonNegativeInt('port', options.port);
  nonNegativeInt('requestLogSize', options.requestLogSize);
  nonNegativeInt('historySize', options.historySize);
  if (options.latencyMs !== undefined && (typeof options.latencyMs !== 'number' || !(options.latencyMs >= 0))) {
    throw new RangeError('latencyMs must be a non-negative number');
  }
  for (const [id, channel] of Object.entries(options.subscriptionGroups ?? {})) {
    if (!isUuid(id)) throw new TypeError(`subscription group id ${JSON.stringify(id)} is not a UUID`);
    if (channel !== 'email' && channel !== 'sms') throw new TypeError(`subscription group ${id} channel must be 'email' or 'sms'`);
  }
  for (const [name, cap] of Object.entries(options.arrayLimits ?? {})) {
    if (!Number.isInteger(cap) || cap < 1 || cap > ARRAY_MAX_CONFIGURABLE_LENGTH) {
      throw new RangeError(`arrayLimits.${name} must be an integer from 1 to ${ARRAY_MAX_CONFIGURABLE_LENGTH}`);
    }
  }
  for (const [key, permissions] of Object.entries(options.apiKeys ?? {})) {
    if (key === '') throw new TypeError('an API key may not be empty');
    if (permissions !== '*' && !(Array.isArray(permissions) && permissions.every((p) => typeof p === 'string'))) {
      throw new TypeError(`permissions of an API key must be '*' or an array of permission names`);
    }
  }
}

/** Sleeps that close() can cut short, and held requests it must end. */
class Timers {
  private readonly pending = new Set<{ timer: NodeJS.Timeout; finish: () => void }>();

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.pending.delete(entry);
          resolve();
        }, ms),
        finish: resolve,
      };
      this.pending.add(entry);
    });
  }

  cancelAll(): void {
    for (const entry of this.pending) {
      clearTimeout(entry.timer);
      entry.finish();
    }
    this.pending.clear();
  }
}

export async function startServer(options: BrazeSandboxOptions = {}): Promise<BrazeSandbox> {
  validateOptions(options);
  const host = options.host ?? '127.0.0.1';
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => {});
  const seed = options.seed ?? randomSeed();
  const faultRandom = createRandom(seed);
  const idRandom = createRandom((seed ^ 0x9e3779b9) >>> 0);

  const keys = new Map<string, readonly string[] | '*'>(Object.entries(options.apiKeys ?? {}));
  let apiKey = options.apiKey ?? DEFAULT_API_KEY;
  if (options.apiKey !== undefined || options.apiKeys === undefined) keys.set(apiKey, '*');
  else apiKey = [...keys].find(([, p]) => p === '*')?.[0] ?? [...keys.keys()][0] ?? apiKey;

  let config: BrazeSandboxConfig = {
    latency: options.latency !== undefined ? validateLatency(options.latency)
      : (options.latencyMs ?? 0) > 0 ? { fixedMs: options.latencyMs as number } : null,
    limits: options.limits ?? 'default',
    rateLimits: initialRateLimits(options.rateLimits),
    rateLimitStyle: options.rateLimitStyle ?? 'epoch',
    objectLimitMode: options.objectLimitMode ?? 'combined',
    strictGroups: options.strictGroups ?? false,
    subscriptionGroups: {},
    doubleOptInEvents: {},
  };
  // Validate the rest through the same path the control endpoint uses.
  config = updateConfig(config, {
    ...(options.subscriptionGroups === undefined ? {} : { subscriptionGroups: options.subscriptionGroups }),
    ...(options.doubleOptInEvents === undefined ? {} : { doubleOptInEvents: options.doubleOptInEvents }),
  });
  const groupsOf = (c: BrazeSandboxConfig): SubscriptionGroups =>
    new SubscriptionGroups(new Map(Object.entries(c.subscriptionGroups)), c.strictGroups);
  let groups = groupsOf(config);
  const arrayLimits = { ...(options.arrayLimits ?? {}) };
  const lean = options.lean === true;
  const store = new ProfileStore(idRandom, options.historySize ?? 100, lean);
  const requestLog = new RequestLog(lean ? 0 : options.requestLogSize ?? 1000);
  const eventAges = new EventAgeHistogram();
  const limiter = new RateLimiter(config.rateLimits);
  const faults = new FaultController(faultRandom);
  if (options.faults !== undefined) faults.set(options.faults);
  if (options.script !== undefined) faults.script(options.script);
  let counters = newCounters();
  const timers = new Timers();
  const held = new Set<Socket>();
  let closed = false;

  if (options.dataDir !== undefined) {
    const data = await loadStore(options.dataDir);
    if (data !== undefined) store.load(data);
  }
  const persist = async (): Promise<void> => {
    if (options.dataDir !== undefined) await saveStore(options.dataDir, store.serialize());
  };

  const countEndpoint = (endpoint: string, status: string): void => {
    const byStatus = (counters.byEndpoint[endpoint] ??= {});
    byStatus[status] = (byStatus[status] ?? 0) + 1;
  };

  const respond = (
    res: ServerResponse, entry: BrazeSandboxRequest, endpoint: string, startedMs: number,
    status: number, body: JsonValue, headers: Record<string, string> = {},
  ): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text), ...headers });
    res.end(text);
    entry.status = status;
    entry.responseBody = body;
    entry.durationMs = performance.now() - startedMs;
    countEndpoint(endpoint, String(status));
    if (status === 429) counters.rateLimited += 1;
    if (options.logRequests === true) log(`braze-sandbox ${entry.method} ${entry.path} ${status} ${entry.durationMs.toFixed(1)}ms`);
  };

  const rateHeaders = (decision: RateDecision | undefined, limited: boolean): Record<string, string> => {
    if (config.limits === 'unlimited' || decision === undefined) return {};
    return rateLimitHeaders(decision, config.rateLimitStyle, now(), limited);
  };

  const applyFault = (
    action: FaultAction, req: IncomingMessage, res: ServerResponse, entry: BrazeSandboxRequest, endpoint: string,
    startedMs: number, group: RateLimitGroup,
  ): boolean => {
    switch (action.kind) {
      case 'reset':
        entry.durationMs = performance.now() - startedMs;
        countEndpoint(endpoint, 'reset');
        req.socket.resetAndDestroy();
        return true;
      case 'hang': {
        countEndpoint(endpoint, 'hang');
        const socket = req.socket;
        held.add(socket);
        const timer = setTimeout(() => socket.destroy(), action.hangMs);
        socket.once('close', () => {
          clearTimeout(timer);
          held.delete(socket);
          entry.durationMs = performance.now() - startedMs;
        });
        return true;
      }
      case 'status':
        respond(res, entry, endpoint, startedMs, action.status, action.body, { ...action.headers });
        return true;
      case 'rate-limit': {
        const peek = limiter.peek(group, now());
        const decision: RateDecision = action.retryAfterS === undefined ? { ...peek, remaining: 0 }
          : { ...peek, remaining: 0, resetAtMs: now() + action.retryAfterS * 1000 };
        const headers = rateLimitHeaders(decision, config.rateLimitStyle, now(), true);
        respond(res, entry, endpoint, startedMs, 429, defaultBody(429), headers);
        return true;
      }
      default:
        return false;
    }
  };

  const handleApi = async (
    req: IncomingMessage, res: ServerResponse, pathname: string, search: string, query: URLSearchParams, raw: string,
  ): Promise<void> => {
    const startedMs = performance.now();
    const method = req.method ?? 'GET';
    const routeKey = `${method} ${pathname}`;
    const route = ROUTES.get(routeKey);
    const endpoint = route === undefined ? 'other' : routeKey;
    const group: RateLimitGroup = route?.group ?? 'default';
    // Lean: no log entry to show the body in, so it is parsed after the delay, and only the text is held meanwhile.
    let parsed = lean ? undefined : parseBody(raw);
    const entry: BrazeSandboxRequest = lean
      ? { seq: 0, timestamp: '', method, path: pathname, query: '', status: null, requestBody: null, responseBody: null, durationMs: 0 }
      : {
        seq: requestLog.nextSeq(),
        timestamp: isoAt(now()),
        method,
        path: pathname,
        query: search.slice(1),
        status: null,
        requestBody: parsed!.ok ? parsed!.value : raw.slice(0, MAX_LOGGED_TEXT),
        responseBody: null,
        durationMs: 0,
      };
    if (!lean) requestLog.add(entry);
    counters.requests += 1;

    // Faults come first: they stand for trouble in front of Braze's application servers.
    const decision = faults.decide(pathname);
    const action = decision.action;
    const delayMs = sampleLatency(config.latency, faultRandom) + decision.latencyMs + (action?.kind === 'delay' ? action.ms : 0);
    if (action !== null) {
      entry.fault = { kind: action.kind, scripted: decision.scripted };
      counters.faults[FAULT_COUNTER[action.kind]] += 1;
    } else if (decision.latencyMs > 0) {
      entry.fault = { kind: 'latency', scripted: false };
      counters.faults.latency += 1;
    }
    if (delayMs > 0) {
      await timers.sleep(delayMs);
      if (closed) {
        req.socket.destroy();
        return;
      }
    }
    if (action !== null && applyFault(action, req, res, entry, endpoint, startedMs, group)) return;

    const reply = (status: number, body: JsonValue, headers?: Record<string, string>) =>
      respond(res, entry, endpoint, startedMs, status, body, headers);
    if (route === undefined) return reply(404, { message: 'Not Found' });

    // §1: only the header form; a key in quotes is not the key.
    const auth = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (auth === null) return reply(401, { message: 'Missing API key: send Authorization: Bearer <REST API key>' });
    const permissions = keys.get(auth[1]);
    if (permissions === undefined) return reply(401, { message: 'Invalid API key' });
    if (permissions !== '*' && !permissions.includes(route.permission)) return reply(403, { message: 'Access Denied' });

    let rate: RateDecision | undefined;
    if (config.limits !== 'unlimited') {
      rate = limiter.take(group, now());
      if (!rate.allowed) return reply(429, defaultBody(429), rateHeaders(rate, true));
    }
    const headers = rateHeaders(rate, false);

    parsed ??= parseBody(raw);
    if (method === 'POST') {
      const type = req.headers['content-type'] ?? '';
      if (!/^application\/json\b/i.test(type)) {
        return reply(400, { message: 'Bad Request', errors: ['Content-Type must be application/json'] }, headers);
      }
      if (!parsed.ok) return reply(400, { message: 'Bad Request', errors: ['the request body is not valid JSON'] }, headers);
    }

    const warnings: string[] = [];
    const ctx: HandlerContext = {
      store, nowMs: now(), objectLimitMode: config.objectLimitMode, groups, arrayLimits, counters, warnings,
      doubleOptInEvents: config.doubleOptInEvents,
      query,
      keepHistory: !lean,
      ...(action?.kind === 'item-errors' ? { itemErrors: action.errors } : {}),
    };
    const result = route.handler(parsed.ok ? parsed.value : null, ctx);
    if (warnings.length > 0 && !lean) entry.warnings = warnings;
    reply(result.status, result.body, headers);
    // Event ages (counters.eventAgeMs): taken when the answer goes out, after any latency.
    if (result.eventTimesMs !== undefined && result.status >= 200 && result.status < 300) {
      const sentMs = now();
      for (const timeMs of result.eventTimesMs) eventAges.record(sentMs - timeMs);
    }
  };

  const readBody = (req: IncomingMessage): Promise<string | null> => new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(null);
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

  const state: BrazeSandboxState = {
    findProfile(ref: ProfileRef) {
      const profile = store.find(ref);
      return profile === undefined ? undefined : snapshot(profile);
    },
    findProfiles: (ref) => store.findAll(ref).map(snapshot),
    profiles(limit = Number.POSITIVE_INFINITY) {
      const out: BrazeSandboxProfile[] = [];
      for (const profile of store.all()) {
        if (out.length >= limit) break;
        out.push(snapshot(profile));
      }
      return out;
    },
    profileCount: () => store.size,
    counters: () => ({ ...structuredClone(counters), profiles: store.size, eventAgeMs: eventAges.view() }),
    lean,
    requests(filter) {
      if (lean) throw new Error(REQUEST_LOG_OFF);
      return structuredClone(requestLog.list(filter));
    },
    async reset() {
      store.clear();
      requestLog.clear();
      counters = newCounters();
      eventAges.clear();
      limiter.clear();
      faults.clear();
      faultRandom.restart();
      idRandom.restart();
      await persist();
    },
    faults,
    config: () => structuredClone(config),
    configure(update) {
      const next = updateConfig(config, update);
      if (next.rateLimits !== config.rateLimits || next.limits !== config.limits) limiter.setLimits(next.rateLimits);
      config = next;
      groups = groupsOf(config);
      return structuredClone(config);
    },
    confirmDoubleOptIn(ref, subscriptionGroupId) {
      // Both kinds: started over REST (use_double_opt_in_logic) or by a double opt-in event; by phone
      // or email this also confirms a state kept for a number or address on no profile yet.
      const group = subscriptionGroupId.toLowerCase();
      let confirmed = false;
      for (const profile of store.findAll(ref)) {
        const record = profile.subscription_groups[group];
        if (record?.double_opt_in_pending === true) {
          store.setSubscription(profile, group, 'subscribed', now(), false);
          confirmed = true;
        }
      }
      if ('phone' in ref && store.confirmPendingSubscription('phone', ref.phone, group, now())) confirmed = true;
      if ('email' in ref && store.confirmPendingSubscription('email', ref.email, group, now())) confirmed = true;
      return confirmed;
    },
  };

  const server = createServer((req, res) => {
    // A known API path as sent needs no URL parsing (which costs microseconds per request).
    const target = req.url ?? '/';
    const url = ROUTE_PATHS.has(target) ? null : new URL(target, 'http://sandbox');
    const pathname = url === null ? target : url.pathname;
    void readBody(req).then(async (raw) => {
      if (raw === null) {
        res.writeHead(413, { 'Content-Type': 'application/json', 'Connection': 'close' });
        res.end(JSON.stringify({ message: 'Request body too large' }));
        return;
      }
      if (url !== null && (pathname === '/_sandbox' || pathname.startsWith('/_sandbox/'))) {
        await handleControl(req, res, url, raw, state);
        return;
      }
      await handleApi(req, res, pathname, url?.search ?? '', url?.searchParams ?? NO_QUERY, raw);
    }).catch((err: unknown) => {
      log(`braze-sandbox: internal error on ${req.method} ${pathname}: ${(err as Error).stack ?? String(err)}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ message: 'Internal Server Error' }));
      } else res.destroy();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const url = `http://${urlHost}:${port}`;
  log(`braze sandbox listening on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    apiKey,
    host,
    port,
    state,
    close(): Promise<void> {
      closing ??= (async () => {
        closed = true;
        timers.cancelAll();
        for (const socket of held) socket.destroy();
        held.clear();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
        await persist();
        log('braze sandbox closed');
      })();
      return closing;
    },
  };
}
