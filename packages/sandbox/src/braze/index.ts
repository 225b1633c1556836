/**
 * A faithful Braze REST API sandbox for tests, demos and benchmarks (never production): the
 * endpoints tributary uses, Braze's validation and limits, inspectable state, and misbehaviour on
 * purpose. See docs/sandbox-braze.md.
 */
import { startServer } from './server.js';
import type { BrazeSandbox, BrazeSandboxOptions } from './types.js';

export type * from './types.js';
export { DEFAULT_API_KEY } from './server.js';
export { DEFAULT_RATE_LIMITS } from './rate-limiter.js';
export { DEFAULT_HANG_MS } from './faults.js';
export { EVENT_AGE_BOUNDS_MS } from './event-age.js';

export function startBrazeSandbox(options: BrazeSandboxOptions = {}): Promise<BrazeSandbox> {
  return startServer(options);
}
