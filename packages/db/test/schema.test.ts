import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@evalq/testing';

// The documented schema (docs/data-model.md) and triggers (docs/triggers.md) exist exactly as documented.

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t?.drop();
});

type Column = [name: string, type: string, nullable: 'YES' | 'NO', default_: string | null];

const DOCUMENTED: Record<string, Column[]> = {
  datasets: [
    ['dataset_id', 'integer', 'NO', "nextval('datasets_dataset_id_seq'::regclass)"],
    ['name', 'character varying', 'NO', null],
    ['description', 'text', 'YES', null],
  ],
  models: [
    ['model_id', 'integer', 'NO', "nextval('models_model_id_seq'::regclass)"],
    ['name', 'character varying', 'NO', null],
    ['source', 'character varying', 'NO', null],
    ['description', 'text', 'YES', null],
    ['library', 'character varying', 'NO', "'unknown'::character varying"],
    ['config', 'jsonb', 'NO', "'{}'::jsonb"],
  ],
  prompts: [
    ['prompt_id', 'integer', 'NO', "nextval('prompts_prompt_id_seq'::regclass)"],
    ['model_id', 'integer', 'YES', null],
    ['text', 'text', 'NO', null],
  ],
  rows: [
    ['row_id', 'integer', 'NO', "nextval('rows_row_id_seq'::regclass)"],
    ['dataset_id', 'integer', 'YES', null],
    ['content', 'text', 'NO', null],
    ['expected_prediction', 'character varying', 'NO', null],
  ],
  modelpromptstatus: [
    ['model_id', 'integer', 'NO', null],
    ['prompt_id', 'integer', 'NO', null],
    ['dataset_id', 'integer', 'NO', null],
    ['status', 'character varying', 'NO', null],
    ['count', 'integer', 'YES', '0'],
  ],
  predictionstatus: [
    ['row_id', 'integer', 'NO', null],
    ['model_id', 'integer', 'NO', null],
    ['prompt_id', 'integer', 'NO', null],
    ['dataset_id', 'integer', 'YES', null],
    ['status', 'character varying', 'NO', null],
    ['in_progress_time', 'timestamp without time zone', 'YES', null],
  ],
  predictions: [
    ['prediction_id', 'integer', 'NO', "nextval('predictions_prediction_id_seq'::regclass)"],
    ['row_id', 'integer', 'YES', null],
    ['model_id', 'integer', 'YES', null],
    ['prompt_id', 'integer', 'YES', null],
    ['dataset_id', 'integer', 'YES', null],
    ['prediction', 'character varying', 'NO', null],
    ['prediction_time', 'double precision', 'NO', null],
    ['status', 'character varying', 'NO', null],
    ['formatted_prompt', 'text', 'YES', null],
  ],
  status_update_log: [
    ['id', 'integer', 'NO', "nextval('status_update_log_id_seq'::regclass)"],
    ['model_id', 'integer', 'YES', null],
    ['prompt_id', 'integer', 'YES', null],
    ['dataset_id', 'integer', 'YES', null],
    ['status', 'character varying', 'YES', null],
  ],
};

const PRIMARY_KEYS: Record<string, string[]> = {
  datasets: ['dataset_id'],
  models: ['model_id'],
  prompts: ['prompt_id'],
  rows: ['row_id'],
  modelpromptstatus: ['model_id', 'prompt_id', 'dataset_id'],
  predictionstatus: ['row_id', 'model_id', 'prompt_id'],
  predictions: ['prediction_id'],
  status_update_log: ['id'],
};

const FOREIGN_KEYS: [table: string, column: string, references: string][] = [
  ['prompts', 'model_id', 'models.model_id'],
  ['rows', 'dataset_id', 'datasets.dataset_id'],
  ['modelpromptstatus', 'model_id', 'models.model_id'],
  ['modelpromptstatus', 'prompt_id', 'prompts.prompt_id'],
  ['modelpromptstatus', 'dataset_id', 'datasets.dataset_id'],
  ['predictionstatus', 'row_id', 'rows.row_id'],
  ['predictionstatus', 'model_id', 'models.model_id'],
  ['predictionstatus', 'prompt_id', 'prompts.prompt_id'],
  ['predictionstatus', 'dataset_id', 'datasets.dataset_id'],
  ['predictions', 'row_id', 'rows.row_id'],
  ['predictions', 'model_id', 'models.model_id'],
  ['predictions', 'prompt_id', 'prompts.prompt_id'],
  ['predictions', 'dataset_id', 'datasets.dataset_id'],
];

describe('documented schema', () => {
  it.each(Object.entries(DOCUMENTED))(
    '%s has every documented column as documented',
    async (table, columns) => {
      const actual = await t.query<{
        column_name: string;
        data_type: string;
        is_nullable: string;
        column_default: string | null;
      }>(
        `SELECT column_name, data_type, is_nullable, column_default FROM information_schema.columns
       WHERE table_schema = 'public' AND table_name = $1`,
        [table],
      );
      for (const [name, type, nullable, default_] of columns) {
        expect(
          actual.find((c) => c.column_name === name),
          `${table}.${name}`,
        ).toEqual({
          column_name: name,
          data_type: type,
          is_nullable: nullable,
          column_default: default_,
        });
      }
    },
  );

  it.each(Object.entries(PRIMARY_KEYS))(
    '%s has its documented primary key',
    async (table, columns) => {
      const [pk] = await t.query<{ columns: string[] }>(
        `SELECT array_agg(a.attname::text ORDER BY k.ord) AS columns
       FROM pg_constraint c
       CROSS JOIN LATERAL unnest(c.conkey) WITH ORDINALITY AS k(attnum, ord)
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum
       WHERE c.conrelid = $1::regclass AND c.contype = 'p'`,
        [table],
      );
      expect(pk?.columns).toEqual(columns);
    },
  );

  it('has every documented foreign key', async () => {
    const actual = await t.query<{ fk: string }>(
      `SELECT c.conrelid::regclass || '.' || a.attname || ' -> ' || c.confrelid::regclass || '.' || fa.attname AS fk
       FROM pg_constraint c
       JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
       JOIN pg_attribute fa ON fa.attrelid = c.confrelid AND fa.attnum = c.confkey[1]
       WHERE c.contype = 'f' AND cardinality(c.conkey) = 1`,
    );
    const fks = new Set(actual.map((r) => r.fk));
    for (const [table, column, references] of FOREIGN_KEYS) {
      expect(
        fks.has(`${table}.${column} -> ${references}`),
        `${table}.${column} -> ${references}`,
      ).toBe(true);
    }
  });

  it('allows one prediction per (row, model, prompt)', async () => {
    const [unique] = await t.query<{ def: string }>(
      `SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conname = 'predictions_row_model_prompt_key'`,
    );
    expect(unique?.def).toBe('UNIQUE (row_id, model_id, prompt_id)');
  });
});

describe("a job's own columns", () => {
  // Their rules live in the columns' types (migration 0020): a bad value written
  // straight into the table is refused, naming the rule, and nothing is stored.
  it.each([
    ['threshold', '1.5', 'pass_threshold'],
    ['assertions', `'{"type": "equals"}'`, 'assertion_list'],
    ['paused_reason', `'tired'`, 'pause_reason'],
    ['max_cost_usd', '-0.01', 'budget_usd'],
    ['max_tokens', '-1', 'budget_tokens'],
  ])('refuses %s = %s', async (column, value, rule) => {
    const [ids] = await t.query<{ d: number; m: number; p: number }>(
      `WITH d AS (INSERT INTO datasets (name) VALUES ('rules') RETURNING dataset_id),
            m AS (INSERT INTO models (name, source) VALUES ('rules', 'mock') RETURNING model_id),
            p AS (INSERT INTO prompts (text) VALUES ('{{content}}') RETURNING prompt_id)
       SELECT d.dataset_id AS d, m.model_id AS m, p.prompt_id AS p FROM d, m, p`,
    );
    const insert = `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status, ${column})
                    VALUES (${ids!.m}, ${ids!.p}, ${ids!.d}, 'pending', ${value})`;
    await expect(t.query(insert)).rejects.toThrow(`value for domain ${rule} violates`);
    const [left] = await t.query<{ n: string }>(
      'SELECT count(*) AS n FROM modelpromptstatus WHERE dataset_id = $1',
      [ids!.d],
    );
    expect(Number(left!.n)).toBe(0);
    // The same job with the value in range is stored.
    await t.query(
      `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status)
       VALUES (${ids!.m}, ${ids!.p}, ${ids!.d}, 'pending')`,
    );
    await expect(
      t.query(`UPDATE modelpromptstatus SET ${column} = ${value} WHERE dataset_id = ${ids!.d}`),
    ).rejects.toThrow(`value for domain ${rule} violates`);
  });
});

describe('documented triggers', () => {
  it('exist with the documented names, timing, events and functions', async () => {
    const triggers = await t.query<{
      table: string;
      name: string;
      timing: string;
      event: string;
      level: string;
      fn: string;
    }>(
      `SELECT event_object_table AS table, trigger_name AS name, action_timing AS timing,
              event_manipulation AS event, action_orientation AS level, action_statement AS fn
       FROM information_schema.triggers
       WHERE trigger_name IN ('after_insert_model_prompt_status', 'after_delete_model_prompt_status',
                              'predictions_after_insert', 'before_update_prediction_status')
       ORDER BY trigger_name`,
    );
    expect(triggers).toEqual([
      {
        table: 'modelpromptstatus',
        name: 'after_delete_model_prompt_status',
        timing: 'AFTER',
        event: 'DELETE',
        level: 'ROW',
        fn: 'EXECUTE FUNCTION remove_prediction_status_for_model_prompt_dataset()',
      },
      {
        table: 'modelpromptstatus',
        name: 'after_insert_model_prompt_status',
        timing: 'AFTER',
        event: 'INSERT',
        level: 'ROW',
        fn: 'EXECUTE FUNCTION add_prediction_status_for_model_prompt_dataset()',
      },
      {
        table: 'predictionstatus',
        name: 'before_update_prediction_status',
        timing: 'BEFORE',
        event: 'UPDATE',
        level: 'ROW',
        fn: 'EXECUTE FUNCTION update_in_progress_time()',
      },
      {
        table: 'predictions',
        name: 'predictions_after_insert',
        timing: 'AFTER',
        event: 'INSERT',
        level: 'ROW',
        fn: 'EXECUTE FUNCTION update_modelpromptstatus()',
      },
    ]);
  });
});
