import type { Command } from 'commander';
import type { Dataset, Page } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { say } from '../output.js';
import { assertionList, ratio, reference } from '../parse-options.js';
import { NameResolver } from '../resolve-names.js';
import { count, formatTable } from '../table.js';
import { registerDatasetImport } from './datasets-import.js';

export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('labelled datasets');

  datasets
    .command('create')
    .description('create an empty dataset (then: evalq datasets import FILE --dataset ID)')
    .requiredOption('--name <name>', 'dataset name')
    .option('--description <text>', 'what the dataset is')
    .action(async (options: { name: string; description?: string }) => {
      const created = await clientFromEnv().post<Dataset>('/v1/datasets', options);
      say(`dataset ${created.dataset_id} created: ${created.name}`);
    });

  datasets
    .command('list')
    .description('list datasets with their row counts')
    .action(async () => {
      const client = clientFromEnv();
      const all: Dataset[] = [];
      let cursor: string | undefined;
      do {
        const page = await client.get<Page<Dataset>>('/v1/datasets', { limit: 1000, cursor });
        all.push(...page.items);
        cursor = page.next_cursor ?? undefined;
      } while (cursor);
      if (all.length === 0) {
        say('no datasets yet: evalq datasets import FILE --name NAME');
        return;
      }
      say(
        formatTable(
          ['ID', 'NAME', 'ROWS', 'CREATED', 'DESCRIPTION'],
          all.map((d) => [
            d.dataset_id,
            d.name,
            count(d.row_count),
            d.created_at.slice(0, 19),
            d.description,
          ]),
        ),
      );
    });

  datasets
    .command('defaults')
    .description(
      'set the assertions (and threshold) of jobs launched on a dataset without their own',
    )
    .requiredOption('--dataset <id|name>', 'the dataset', reference)
    .option('--assertions <json|@file>', 'the default assertions (docs/grading.md)', assertionList)
    .option('--threshold <0..1>', 'the default threshold', ratio)
    .option('--clear', 'back to the built-in default, [{"type": "equals"}]')
    .action(
      async (options: {
        dataset: string;
        assertions?: unknown[];
        threshold?: number;
        clear?: boolean;
      }) => {
        const client = clientFromEnv();
        const datasetId = await new NameResolver(client).dataset(options.dataset);
        const updated = await client.json<Dataset>('PATCH', `/v1/datasets/${datasetId}`, {
          json: options.clear
            ? { default_assertions: null, default_threshold: null }
            : { default_assertions: options.assertions, default_threshold: options.threshold },
        });
        say(
          `dataset ${updated.dataset_id}: jobs launched without assertions get ` +
            `${JSON.stringify(updated.default_assertions ?? [{ type: 'equals' }])}` +
            (updated.default_threshold === null ? '' : `, threshold ${updated.default_threshold}`),
        );
      },
    );

  registerDatasetImport(datasets);
}
