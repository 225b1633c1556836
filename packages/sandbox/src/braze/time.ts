/**
 * ISO-8601 text of an epoch-ms instant. A request stamps every profile it touches with the same instant, so the
 * last answer is kept: 75 objects cost one Date and one toISOString instead of 75.
 */
let lastMs = Number.NaN;
let lastIso = '';

export function isoAt(ms: number): string {
  if (ms !== lastMs) {
    // Throws for an instant out of Date's range, as `new Date(ms).toISOString()` does.
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}
