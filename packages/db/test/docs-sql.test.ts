import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

// The SQL the docs show (```sql blocks: docs/triggers.md puts each implemented trigger
// beside its documented text) is an excerpt of the migration that defines it now, so a
// reader never studies SQL that no longer runs. SQL of the query modules is not copied
// into docs: they name the module (packages/db/src/queries/…) instead.

const root = new URL('../../../', import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), 'utf8');

const migrations = readdirSync(new URL('migrations/', root))
  .filter((name) => name.endsWith('.sql'))
  .sort()
  .map((name) => ({ name, sql: statements(read(`migrations/${name}`)) }));

const docFiles = [
  'README.md',
  ...readdirSync(new URL('docs/', root))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`),
];

/** SQL without comments and with white space folded: what runs, whatever the layout. */
function statements(sql: string): string {
  return sql
    .replace(/--[^\n]*/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

interface SqlBlock {
  where: string;
  /** The block's parts between `...` lines (lines left out), each as statements. */
  parts: string[];
}

const blocks: SqlBlock[] = docFiles.flatMap((file) => {
  const text = read(file);
  return [...text.matchAll(/^```sql\n([\s\S]*?)^```/gm)].map((match) => ({
    where: `${file}:${text.slice(0, match.index).split('\n').length}`,
    parts: match[1]!
      .split(/^\s*(?:\.\.\.|…)\s*$/m)
      .map(statements)
      .filter((part) => part.length > 0),
  }));
});

/** Where every part is found in `sql`, in order; undefined when one is not. */
function excerptAt(sql: string, parts: string[]): number | undefined {
  let from = 0;
  let start: number | undefined;
  for (const part of parts) {
    const at = sql.indexOf(part, from);
    if (at < 0) return undefined;
    start ??= at;
    from = at + part.length;
  }
  return start;
}

/** The function or trigger whose definition holds position `at`. */
function definedObject(sql: string, at: number): string | undefined {
  const definitions = [
    ...sql.slice(0, at).matchAll(/CREATE (?:OR REPLACE )?(?:FUNCTION|TRIGGER) (\w+)/gi),
  ];
  return definitions.at(-1)?.[1];
}

describe('SQL shown in the docs', () => {
  it('finds the SQL blocks of the docs', () => {
    expect(blocks.map((block) => block.where.split(':')[0])).toContain('docs/triggers.md');
  });

  it.each(blocks.map((block) => [block.where, block] as const))(
    '%s is an excerpt of the migration that defines it now',
    (where, block) => {
      const found = migrations.flatMap(({ name, sql }, index) => {
        const at = excerptAt(sql, block.parts);
        return at === undefined ? [] : [{ name, index, object: definedObject(sql, at) }];
      });
      expect(found, `${where}: no migration has this SQL; copy it from one`).not.toEqual([]);
      // The latest migration holding the excerpt must hold the object's latest definition
      // (an earlier definition may hold the same lines: a redefinition copies its body).
      const { name, index, object } = found.at(-1)!;
      if (object === undefined) return;
      const redefined = migrations
        .slice(index + 1)
        .filter(({ sql }) =>
          // A later ALTER FUNCTION … SET changes a setting the function runs with, not
          // its text (migration 0019): the excerpt still shows what runs.
          new RegExp(
            `(CREATE OR REPLACE|DROP) (FUNCTION|TRIGGER) (IF EXISTS )?${object}\\b|ALTER (FUNCTION|TRIGGER) ${object}\\b(?![^;]*\\bSET\\b)`,
            'i',
          ).test(sql),
        )
        .map((later) => later.name);
      expect(redefined, `${where}: ${object} of ${name} is redefined later`).toEqual([]);
    },
  );
});
