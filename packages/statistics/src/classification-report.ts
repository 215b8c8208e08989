/** How many predictions had this (expected label, predicted label); labels already normalized. */
export interface LabelPairCount {
  expected: string;
  predicted: string;
  count: number;
}

export interface LabelMetrics {
  label: string;
  /** Rows whose expected label is this one. */
  support: number;
  /** Predictions of this label. */
  predicted: number;
  true_positives: number;
  /** Null when the label was never predicted. */
  precision: number | null;
  /** Null when the label never occurs in the expected labels. */
  recall: number | null;
  /** Null when precision or recall is; 0 when both are 0. */
  f1: number | null;
}

export interface ClassificationReport {
  /** The distinct expected labels, sorted. */
  labels: string[];
  /** Predictions counted (successful ones). */
  n: number;
  /** Predictions equal to their expected label ÷ n. Null when n is 0. */
  accuracy: number | null;
  per_label: LabelMetrics[];
  /** Unweighted means over the labels whose metric is defined. */
  macro_precision: number | null;
  macro_recall: number | null;
  macro_f1: number | null;
  /**
   * confusion[i][j]: rows expected labels[i] predicted labels[j]; the last column
   * (index labels.length) counts predictions outside the label set.
   */
  confusion: number[][];
  /** Predictions that are none of the labels, and the most frequent such outputs. */
  outside_label_set: { count: number; top: { predicted: string; count: number }[] };
}

const TOP_OUTSIDE = 10;

/**
 * Per-label precision, recall and F1 and the confusion matrix of a classification
 * job. The label set is the set of expected labels; an output outside it counts
 * against the recall of its row's label but against no label's precision, and is
 * reported on its own.
 */
export function classificationReport(pairs: readonly LabelPairCount[]): ClassificationReport {
  const labels = [...new Set(pairs.filter((p) => p.count > 0).map((p) => p.expected))].sort();
  const index = new Map(labels.map((label, i) => [label, i]));
  const outside = labels.length;
  const confusion = labels.map(() => new Array<number>(labels.length + 1).fill(0));
  const outsideOutputs = new Map<string, number>();
  let n = 0;
  for (const pair of pairs) {
    if (pair.count <= 0) continue;
    const row = confusion[index.get(pair.expected)!]!;
    const column = index.get(pair.predicted) ?? outside;
    row[column]! += pair.count;
    n += pair.count;
    if (column === outside) {
      outsideOutputs.set(pair.predicted, (outsideOutputs.get(pair.predicted) ?? 0) + pair.count);
    }
  }

  const perLabel = labels.map((label, i): LabelMetrics => {
    const truePositives = confusion[i]![i]!;
    const support = confusion[i]!.reduce((sum, c) => sum + c, 0);
    const predicted = confusion.reduce((sum, row) => sum + row[i]!, 0);
    const precision = predicted > 0 ? truePositives / predicted : null;
    const recall = support > 0 ? truePositives / support : null;
    const f1 =
      precision === null || recall === null
        ? null
        : precision + recall === 0
          ? 0
          : (2 * precision * recall) / (precision + recall);
    return {
      label,
      support,
      predicted,
      true_positives: truePositives,
      precision,
      recall,
      f1,
    };
  });
  const correct = labels.reduce((sum, _label, i) => sum + confusion[i]![i]!, 0);
  const outsideCount = [...outsideOutputs.values()].reduce((sum, c) => sum + c, 0);
  return {
    labels,
    n,
    accuracy: n > 0 ? correct / n : null,
    per_label: perLabel,
    macro_precision: meanOf(perLabel.map((m) => m.precision)),
    macro_recall: meanOf(perLabel.map((m) => m.recall)),
    macro_f1: meanOf(perLabel.map((m) => m.f1)),
    confusion,
    outside_label_set: {
      count: outsideCount,
      top: [...outsideOutputs.entries()]
        .map(([predicted, count]) => ({ predicted, count }))
        .sort((a, b) => b.count - a.count || a.predicted.localeCompare(b.predicted))
        .slice(0, TOP_OUTSIDE),
    },
  };
}

function meanOf(values: (number | null)[]): number | null {
  const defined = values.filter((v): v is number => v !== null);
  return defined.length > 0 ? defined.reduce((sum, v) => sum + v, 0) / defined.length : null;
}
