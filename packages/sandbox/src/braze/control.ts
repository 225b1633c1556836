import type { IncomingMessage, ServerResponse } from 'node:http';
import { FaultError } from './faults.js';
import { REQUEST_LOG_OFF } from './request-log.js';
import type { BrazeSandboxState, FaultSettings, JsonValue, ProfileRef, ScriptStep } from './types.js';
import { isPlainObject, isUuid } from './validators.js';

const DEFAULT_PROFILE_LIMIT = 1000;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

function parseJson(raw: string): { ok: true; value: JsonValue } | { ok: false } {
  if (raw === '') return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(raw) as JsonValue };
  } catch {
    return { ok: false };
  }
}

function refFromQuery(query: URLSearchParams): ProfileRef | null | 'bad' {
  const externalId = query.get('external_id');
  if (externalId !== null) return { external_id: externalId };
  const brazeId = query.get('braze_id');
  if (brazeId !== null) return { braze_id: brazeId };
  const email = query.get('email');
  if (email !== null) return { email };
  const phone = query.get('phone');
  if (phone !== null) return { phone };
  const label = query.get('alias_label');
  const name = query.get('alias_name');
  if (label !== null || name !== null) {
    if (label === null || name === null) return 'bad';
    return { user_alias: { alias_label: label, alias_name: name } };
  }
  return null;
}

function nonNegativeInt(raw: string | null): number | undefined | 'bad' {
  if (raw === null) return undefined;
  const n = Number(raw);
  return Number.isInteger(n) && n >= 0 ? n : 'bad';
}

/**
 * /_sandbox/: inspection and control, no auth. Never rate-limited, delayed or faulted.
 */
export async function handleControl(
  req: IncomingMessage, res: ServerResponse, url: URL, raw: string, state: BrazeSandboxState,
): Promise<void> {
  const method = req.method ?? 'GET';
  const path = url.pathname.replace(/\/+$/, '');
  const body = parseJson(raw);
  if (!body.ok) return send(res, 400, { error: 'the request body is not valid JSON' });
  const route = `${method} ${path}`;
  try {
    switch (route) {
      case 'GET /_sandbox/health':
        return send(res, 200, { status: 'ok' });
      case 'GET /_sandbox/profiles': {
        const ref = refFromQuery(url.searchParams);
        if (ref === 'bad') return send(res, 400, { error: 'alias_label and alias_name go together' });
        const limit = nonNegativeInt(url.searchParams.get('limit'));
        if (limit === 'bad') return send(res, 400, { error: 'limit must be a non-negative integer' });
        if (ref !== null) {
          const profiles = state.findProfiles(ref);
          return send(res, 200, { count: profiles.length, profiles: profiles.slice(0, limit ?? profiles.length) });
        }
        return send(res, 200, { count: state.profileCount(), profiles: state.profiles(limit ?? DEFAULT_PROFILE_LIMIT) });
      }
      case 'GET /_sandbox/requests': {
        if (state.lean) return send(res, 409, { error: REQUEST_LOG_OFF });
        const limit = nonNegativeInt(url.searchParams.get('limit'));
        if (limit === 'bad') return send(res, 400, { error: 'limit must be a non-negative integer' });
        const pathFilter = url.searchParams.get('path');
        const requests = state.requests({
          ...(limit === undefined ? {} : { limit }), ...(pathFilter === null ? {} : { path: pathFilter }),
        });
        return send(res, 200, { count: requests.length, requests });
      }
      case 'GET /_sandbox/counters':
        return send(res, 200, state.counters());
      case 'POST /_sandbox/reset':
        await state.reset();
        return send(res, 200, { message: 'reset' });
      case 'GET /_sandbox/faults':
        return send(res, 200, state.faults.get());
      case 'PUT /_sandbox/faults':
        state.faults.set((body.value ?? {}) as FaultSettings);
        return send(res, 200, state.faults.get());
      case 'DELETE /_sandbox/faults':
        state.faults.clear();
        return send(res, 200, state.faults.get());
      case 'POST /_sandbox/faults/script': {
        const steps = Array.isArray(body.value) ? body.value : isPlainObject(body.value) ? body.value.steps : undefined;
        if (!Array.isArray(steps)) return send(res, 400, { error: 'send {"steps": [...]} or an array of steps' });
        state.faults.script(steps as unknown as ScriptStep[]);
        return send(res, 200, state.faults.get());
      }
      case 'GET /_sandbox/config':
        return send(res, 200, state.config());
      case 'PUT /_sandbox/config':
        return send(res, 200, state.configure((body.value ?? {}) as never));
      case 'POST /_sandbox/subscriptions/confirm': {
        const b = body.value;
        if (!isPlainObject(b) || typeof b.subscription_group_id !== 'string') {
          return send(res, 400, { error: 'send {"subscription_group_id": ..., and one of external_id, email, phone}' });
        }
        if (!isUuid(b.subscription_group_id)) return send(res, 400, { error: 'subscription_group_id must be a subscription group id (a UUID)' });
        const ref = refFromQuery(new URLSearchParams(Object.entries(b).filter(([, v]) => typeof v === 'string') as [string, string][]));
        if (ref === null || ref === 'bad') return send(res, 400, { error: 'one of external_id, email, phone is required' });
        return send(res, 200, { confirmed: state.confirmDoubleOptIn(ref, b.subscription_group_id) });
      }
      default:
        return send(res, 404, { error: `no control endpoint ${route}` });
    }
  } catch (err) {
    if (err instanceof FaultError) return send(res, 400, { error: err.message });
    throw err;
  }
}
