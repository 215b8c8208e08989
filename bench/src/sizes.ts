/** How big each scenario is: the sizes of the issue, or `--quick`'s (under two minutes). */
export interface BenchSizes {
  t1Rows: number;
  t2Rows: number;
  /** T3 runs each worker count for about this long at the ideal rate. */
  t3Seconds: number;
  /** T4 seeds and T5 imports a dataset of this many rows; T6 and T7 reuse it. */
  bigRows: number;
  t6SmallRows: number;
  t6Seconds: number;
  t7WorkerRows: number;
  /** T10: the fleet's job, about 20 s (5 s quick) of its ideal 1,280 rows/s. */
  t10Rows: number;
}

export const FULL_SIZES: BenchSizes = {
  t1Rows: 20_000,
  t2Rows: 5_000,
  t3Seconds: 10,
  bigRows: 1_000_000,
  t6SmallRows: 1_000,
  t6Seconds: 30,
  t7WorkerRows: 200_000,
  t10Rows: 25_600,
};

export const QUICK_SIZES: BenchSizes = {
  t1Rows: 4_000,
  t2Rows: 2_000,
  t3Seconds: 3,
  bigRows: 100_000,
  t6SmallRows: 1_000,
  t6Seconds: 6,
  t7WorkerRows: 20_000,
  t10Rows: 6_400,
};
