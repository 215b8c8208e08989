/**
 * One draw from Binomial(n, p) using the uniform generator `random` (values in [0, 1)).
 * Exact in distribution: inversion (a walk up the probability mass function) when the
 * mean is small, else Hörmann's transformed rejection with squeeze (BTRS, 1993), whose
 * cost does not grow with n. Used by the paired bootstrap, which draws multinomial
 * counts as a chain of binomials.
 */
export function binomialSample(n: number, p: number, random: () => number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  const flipped = p > 0.5;
  const q = flipped ? 1 - p : p;
  const draw = n * q >= 10 ? transformedRejection(n, q, random) : inversion(n, q, random);
  return flipped ? n - draw : draw;
}

function inversion(n: number, p: number, random: () => number): number {
  const ratio = p / (1 - p);
  const grow = ratio * (n + 1);
  for (;;) {
    let u = random();
    let mass = Math.pow(1 - p, n);
    let k = 0;
    // Rounding can leave u above the summed mass; such a draw is simply repeated.
    while (u >= mass && k <= n) {
      u -= mass;
      k += 1;
      mass *= grow / k - ratio;
    }
    if (k <= n) return k;
  }
}

/** ln k! − (k + ½) ln(k + 1) + (k + 1) − ½ ln 2π: Stirling's error term, tabled for small k. */
const STIRLING_TAIL = [
  0.0810614667953272, 0.0413406959554092, 0.0276779256849983, 0.02079067210376509,
  0.0166446911898211, 0.0138761288230707, 0.0118967099458917, 0.01041126526197209,
  0.00925546218271273, 0.00833056343336287,
];

function stirlingTail(k: number): number {
  const tabled = STIRLING_TAIL[k];
  if (tabled !== undefined) return tabled;
  const square = (k + 1) * (k + 1);
  return (1 / 12 - (1 / 360 - 1 / 1260 / square) / square) / (k + 1);
}

function transformedRejection(n: number, p: number, random: () => number): number {
  const spq = Math.sqrt(n * p * (1 - p));
  const b = 1.15 + 2.53 * spq;
  const a = -0.0873 + 0.0248 * b + 0.01 * p;
  const c = n * p + 0.5;
  const vr = 0.92 - 4.2 / b;
  const r = p / (1 - p);
  const alpha = (2.83 + 5.1 / b) * spq;
  const m = Math.floor((n + 1) * p);
  const modeTerm =
    (m + 0.5) * Math.log((m + 1) / (r * (n - m + 1))) + stirlingTail(m) + stirlingTail(n - m);
  for (;;) {
    const u = random() - 0.5;
    let v = random();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + c);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || k > n) continue;
    v = Math.log((v * alpha) / (a / (us * us) + b));
    const bound =
      modeTerm +
      (n + 1) * Math.log((n - m + 1) / (n - k + 1)) +
      (k + 0.5) * Math.log((r * (n - k + 1)) / (k + 1)) -
      stirlingTail(k) -
      stirlingTail(n - k);
    if (v <= bound) return k;
  }
}
