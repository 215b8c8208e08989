import { uploadError } from './row-error.js';

/** Serialises a record's input cells to the JSON text of the input object. */
export type InputSerializer = (record: readonly string[]) => string;

/** What each CSV column is: content, the gold label, or an input key. */
export interface CsvColumns {
  /** Undefined when the CSV has no content column (content is then the input's JSON). */
  content: number | undefined;
  expected: number;
  /** Input columns, by index, with their header (for messages). */
  inputs: { index: number; header: string }[];
  /** The JSON text of the input object of a record. */
  input: InputSerializer;
}

interface KeyNode {
  key: string;
  /** A leaf's column; a branch has children instead. */
  index?: number;
  children?: KeyNode[];
}

/** Characters JSON.stringify escapes in a string (control characters among them). */
// eslint-disable-next-line no-control-regex
const NEEDS_JSON_ESCAPE = /["\\\u0000-\u001f\u2028\u2029\ud800-\udfff]/;

/** A cell as a JSON string: quoted as it is when nothing in it needs escaping. */
const jsonString = (value: string): string =>
  NEEDS_JSON_ESCAPE.test(value) ? JSON.stringify(value) : `"${value}"`;

/**
 * An object's JSON text from a record, built by concatenation with the key parts
 * precomputed once per upload (a million rows pay for no object building).
 */
function serializer(nodes: readonly KeyNode[]): InputSerializer {
  if (nodes.length === 0) return () => '{}';
  const prefixes = nodes.map((node, i) => `${i === 0 ? '{' : ','}${JSON.stringify(node.key)}:`);
  const values: InputSerializer[] = nodes.map((node) =>
    node.children ? serializer(node.children) : (record) => jsonString(record[node.index!]!),
  );
  return (record) => {
    let out = '';
    for (let i = 0; i < prefixes.length; i += 1) out += prefixes[i]! + values[i]!(record);
    return `${out}}`;
  };
}

/** Places a dotted header (`meta.lang`) in the key tree, refusing clashes. */
function place(root: KeyNode[], header: string, index: number): void {
  const path = header.split('.');
  if (path.some((segment) => segment === '')) {
    throw uploadError(
      `the CSV header ${JSON.stringify(header)} has an empty key (dots separate nested keys, e.g. meta.lang)`,
      'header',
    );
  }
  let level = root;
  path.forEach((segment, depth) => {
    const last = depth === path.length - 1;
    let node = level.find((n) => n.key === segment);
    if (node && (last || node.index !== undefined)) {
      throw uploadError(
        `the CSV header names the input key ${JSON.stringify(header)} twice or as both a value and a group of nested keys`,
        'header',
      );
    }
    if (!node) {
      node = last ? { key: segment, index } : { key: segment, children: [] };
      level.push(node);
    }
    if (!last) level = node.children!;
  });
}

/**
 * The header row names the columns: content and expected_prediction (any case, any
 * order) and input keys, every other column. A dotted header makes a nested key. A
 * header without content is allowed: each row's content is then its input's JSON text.
 */
export function csvColumns(header: readonly string[]): CsvColumns {
  const names = header.map((name) => name.trim());
  const lower = names.map((name) => name.toLowerCase());
  const expected = lower.indexOf('expected_prediction');
  if (expected < 0) {
    throw uploadError(
      `the CSV header must name an expected_prediction column (got ${JSON.stringify(header.join(','))})`,
      'header',
    );
  }
  const contentAt = lower.indexOf('content');
  if (
    lower.lastIndexOf('content') !== contentAt ||
    lower.lastIndexOf('expected_prediction') !== expected
  ) {
    throw uploadError('the CSV header names content or expected_prediction twice', 'header');
  }
  const root: KeyNode[] = [];
  const inputs: { index: number; header: string }[] = [];
  names.forEach((name, index) => {
    if (index === expected || index === contentAt) return;
    if (name === '') {
      throw uploadError(`the CSV header's column ${index + 1} has no name`, 'header');
    }
    place(root, name, index);
    inputs.push({ index, header: name });
  });
  if (contentAt < 0 && inputs.length === 0) {
    throw uploadError(
      `the CSV header must name a content column, or input columns to make the content of (got ${JSON.stringify(header.join(','))})`,
      'header',
    );
  }
  return {
    content: contentAt < 0 ? undefined : contentAt,
    expected,
    inputs,
    input: serializer(root),
  };
}
