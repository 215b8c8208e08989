/** The most rows one claim takes for a job whose rows the response cache answers. */
export const CACHED_CLAIM_MAX = 100;

/**
 * How many rows to claim for `slots` call slots when a share of the rows will be cache
 * hits: a hit never waits for a slot, so the claim grows until its expected misses fill
 * the slots (a job served wholly from the cache claims CACHED_CLAIM_MAX at once). Fewer,
 * larger claims: each claim costs a permit check, a claim statement and a lookup
 * statement whatever its size: in a job served from the cache, a large part of a row's cost.
 */
export function withCacheHits(slots: number, hitShare: number): number {
  if (hitShare <= 0 || slots <= 0) return slots;
  const misses = Math.max(1 - hitShare, slots / CACHED_CLAIM_MAX);
  return Math.max(slots, Math.min(CACHED_CLAIM_MAX, Math.floor(slots / misses)));
}
