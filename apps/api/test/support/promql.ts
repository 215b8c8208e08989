import { parser } from '@prometheus-io/lezer-promql';

type SyntaxNode = ReturnType<typeof parser.parse>['topNode'];

/**
 * What a PromQL query reads, from Prometheus's own grammar (@prometheus-io/lezer-promql):
 * the series it selects, the labels it names with the series each must be found on, and
 * the labels its result carries (what a legend's `{{label}}` can show).
 */
export interface QueryReads {
  /** Where the grammar rejects the query; empty when it parses. */
  syntaxErrors: number[];
  /** Series names selected (`rate(x_bucket[5m])` selects `x_bucket`). */
  series: string[];
  /** Each label named in a matcher, a `by`/`without`/`on`/`ignoring` clause, with the series under it. */
  labels: { label: string; series: string[] }[];
  /** Labels of the result, given the labels each series carries. */
  resultLabels(labelsOf: (series: string) => ReadonlySet<string>): Set<string>;
}

export function readQuery(query: string): QueryReads {
  const tree = parser.parse(query);
  const text = (node: SyntaxNode): string => query.slice(node.from, node.to);
  const syntaxErrors: number[] = [];
  const labels: QueryReads['labels'] = [];
  tree.iterate({
    enter(ref) {
      if (ref.type.isError) syntaxErrors.push(ref.from);
      if (ref.name !== 'LabelName') return;
      const scope = labelScope(ref.node);
      labels.push({ label: text(ref.node), series: selectedSeries(scope, text) });
    },
  });
  return {
    syntaxErrors,
    series: selectedSeries(tree.topNode, text),
    labels,
    resultLabels: (labelsOf) => resultLabels(tree.topNode, text, labelsOf),
  };
}

/** The expression a label name speaks of: its selector, aggregation or binary operation. */
function labelScope(node: SyntaxNode): SyntaxNode {
  let scope: SyntaxNode | null = node;
  while (scope && !['VectorSelector', 'AggregateExpr', 'BinaryExpr'].includes(scope.name)) {
    scope = scope.parent;
  }
  return scope ?? node;
}

function selectedSeries(node: SyntaxNode, text: (node: SyntaxNode) => string): string[] {
  const names: string[] = [];
  const cursor = node.cursor();
  do {
    if (cursor.name === 'VectorSelector') {
      const name = cursor.node.getChild('Identifier');
      if (name) names.push(text(name));
    }
  } while (cursor.next() && cursor.from < node.to);
  return [...new Set(names)];
}

/** Labels Prometheus adds to every scraped series. */
export const TARGET_LABELS = ['instance', 'job'] as const;

function resultLabels(
  node: SyntaxNode,
  text: (node: SyntaxNode) => string,
  labelsOf: (series: string) => ReadonlySet<string>,
): Set<string> {
  switch (node.name) {
    case 'AggregateExpr': {
      const modifier = node.getChild('AggregateModifier');
      const grouping = modifier?.getChild('GroupingLabels')?.getChildren('LabelName').map(text);
      if (!modifier || !grouping) return new Set();
      if (modifier.getChild('By')) return new Set(grouping);
      const inner = resultLabels(node.getChild('FunctionCallBody')!, text, labelsOf);
      return new Set([...inner].filter((label) => !grouping.includes(label)));
    }
    case 'VectorSelector': {
      const name = node.getChild('Identifier');
      return new Set([...(name ? labelsOf(text(name)) : []), ...TARGET_LABELS]);
    }
    case 'FunctionCall': {
      // The vector argument is the last one (rate(v[5m]), histogram_quantile(φ, v)).
      const vector = node.getChild('FunctionCallBody')?.lastChild;
      const labels = vector ? resultLabels(vector, text, labelsOf) : new Set<string>();
      if (node.getChild('FunctionIdentifier')?.getChild('HistogramQuantile')) labels.delete('le');
      return labels;
    }
    default: {
      // PromQL, ParenExpr, MatrixSelector, FunctionCallBody, BinaryExpr (left side): the first expression inside.
      const inner = node.firstChild;
      return inner ? resultLabels(inner, text, labelsOf) : new Set();
    }
  }
}
