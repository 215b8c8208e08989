/**
 * McNemar's exact test, two-sided: on the pairs where two candidates disagree
 * (`aOnly` rows only A passed, `bOnly` rows only B passed), under "neither is better"
 * each disagreement goes either way with probability ½, so the smaller count follows
 * Binomial(aOnly + bOnly, ½). p = min(1, 2 · P(X ≤ min(aOnly, bOnly))); 1 when they
 * never disagree.
 *
 * The terms C(N, k) / 2^N are summed from the largest (k = min) downwards, each from
 * the one before, starting from its logarithm: no factorial overflows and no 2^-N
 * underflows, whatever N.
 */
export function mcnemarExactP(aOnly: number, bOnly: number): number {
  const total = aOnly + bOnly;
  if (total === 0) return 1;
  const smaller = Math.min(aOnly, bOnly);
  // ln C(N, m) - N ln 2 for the largest term of the tail.
  let logTerm = -total * Math.LN2;
  for (let i = 1; i <= smaller; i += 1) logTerm += Math.log((total - smaller + i) / i);
  // Σ_{k ≤ m} C(N, k) / C(N, m), from k = m down, until the terms stop mattering.
  let ratio = 1;
  let sum = 1;
  for (let k = smaller; k > 0; k -= 1) {
    ratio *= k / (total - k + 1);
    sum += ratio;
    if (ratio < sum * 1e-17) break;
  }
  return Math.min(1, 2 * Math.exp(logTerm) * sum);
}
