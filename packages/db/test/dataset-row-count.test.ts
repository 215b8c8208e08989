import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@evalq/testing';

// datasets.row_count (0005) through plain SQL: whoever writes rows is counted.

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

async function newDataset(): Promise<number> {
  const [row] = await t.query<{ dataset_id: number }>(
    `INSERT INTO datasets (name) VALUES ('counted') RETURNING dataset_id`,
  );
  return row!.dataset_id;
}

async function rowCounts(...ids: number[]): Promise<number[]> {
  const rows = await t.query<{ row_count: number }>(
    'SELECT row_count FROM datasets WHERE dataset_id = ANY($1::int[]) ORDER BY array_position($1::int[], dataset_id)',
    [ids],
  );
  return rows.map((row) => row.row_count);
}

describe('datasets.row_count', () => {
  it('follows inserts (one statement or many), deletes and rows moved between datasets', async () => {
    const a = await newDataset();
    const b = await newDataset();
    await t.query(
      `INSERT INTO rows (dataset_id, content, expected_prediction)
       SELECT CASE WHEN g % 4 = 0 THEN $2::int ELSE $1::int END, 'c' || g, 'x' FROM generate_series(1, 1000) g`,
      [a, b],
    );
    expect(await rowCounts(a, b)).toEqual([750, 250]);

    await t.query(
      `INSERT INTO rows (dataset_id, content, expected_prediction) VALUES ($1, 'one', 'x')`,
      [b],
    );
    await t.query(`DELETE FROM rows WHERE dataset_id = $1 AND content LIKE 'c1%'`, [a]);
    const [{ n } = { n: -1 }] = await t.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM rows WHERE dataset_id = $1',
      [a],
    );
    expect(await rowCounts(a, b)).toEqual([n, 251]);

    await t.query(`UPDATE rows SET dataset_id = $2 WHERE dataset_id = $1 AND content LIKE 'c2%'`, [
      a,
      b,
    ]);
    const counted = await t.query<{ dataset_id: number; n: number }>(
      'SELECT dataset_id, count(*)::int AS n FROM rows WHERE dataset_id = ANY($1::int[]) GROUP BY 1 ORDER BY 1',
      [[a, b]],
    );
    expect(await rowCounts(a, b)).toEqual(counted.map((c) => c.n));
    await t.query(`UPDATE rows SET content = content || '!' WHERE dataset_id = $1`, [b]);
    expect(await rowCounts(a, b)).toEqual(counted.map((c) => c.n));
  });

  it('counts rows written by COPY', async () => {
    const id = await newDataset();
    const { from } = await import('pg-copy-streams');
    const client = await t.pool.connect();
    try {
      await new Promise<void>((resolve, reject) => {
        const copy = client.query(
          from('COPY rows (dataset_id, content, expected_prediction) FROM STDIN'),
        );
        copy.on('finish', resolve).on('error', reject);
        copy.end(`${id}\ta\tx\n${id}\tb\ty\n${id}\tc\tz\n`);
      });
    } finally {
      client.release();
    }
    expect(await rowCounts(id)).toEqual([3]);
  });
});
