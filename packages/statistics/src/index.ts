export { wilsonInterval, Z_95 } from './wilson-interval.js';
export { mcnemarExactP } from './mcnemar-test.js';
export { binomialSample } from './binomial-sample.js';
export {
  pairedBootstrap,
  BOOTSTRAP_RESAMPLES,
  BOOTSTRAP_SEED,
  type BootstrapInterval,
  type BootstrapOptions,
  type DifferenceCount,
} from './paired-bootstrap.js';
export {
  classificationReport,
  type ClassificationReport,
  type LabelMetrics,
  type LabelPairCount,
} from './classification-report.js';
export {
  comparePaired,
  SIGNIFICANCE_LEVEL,
  type PairedComparison,
  type PairedVerdicts,
} from './paired-comparison.js';
