import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import { InvalidArgumentError, type Command } from 'commander';
import { ValidationError } from '@evalq/core';
import type { ApiClient } from '../api-client.js';
import type { Dataset } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { reference } from '../parse-options.js';
import { NameResolver } from '../resolve-names.js';
import { say, warn } from '../output.js';
import { count } from '../table.js';

const CONTENT_TYPES: Record<string, string> = {
  csv: 'text/csv',
  jsonl: 'application/x-ndjson',
  ndjson: 'application/x-ndjson',
  json: 'application/json',
};

function formatOf(file: string, given: string | undefined): string {
  const format = (given ?? extname(file).slice(1)).toLowerCase();
  if (!(format in CONTENT_TYPES)) {
    throw new ValidationError(
      `cannot tell the format of ${file}: name it .csv, .jsonl, .ndjson or .json, or pass --format`,
    );
  }
  return format;
}

interface ImportOptions {
  name?: string;
  description?: string;
  dataset?: string;
  format?: string;
}

export function registerDatasetImport(datasets: Command): void {
  datasets
    .command('import')
    .description(
      'import rows from a CSV with a header row (content, expected_prediction, and input columns), JSONL/NDJSON or a JSON array; ' +
        'streamed, all or nothing',
    )
    .argument('<file>', 'the file to upload')
    .option('--name <name>', 'create a new dataset with this name')
    .option('--description <text>', 'description of the new dataset')
    .option('--dataset <id|name>', 'add the rows to this existing dataset', reference)
    .option(
      '--format <format>',
      'csv, jsonl, ndjson or json (default: from the file extension)',
      (value) => {
        if (!(value in CONTENT_TYPES))
          throw new InvalidArgumentError('expected csv, jsonl, ndjson or json');
        return value;
      },
    )
    .action(async (file: string, options: ImportOptions) => {
      if ((options.name === undefined) === (options.dataset === undefined)) {
        throw new ValidationError(
          'give either --name NAME (a new dataset) or --dataset ID (an existing one)',
        );
      }
      const format = formatOf(file, options.format);
      let size: number;
      try {
        const info = await stat(file);
        if (!info.isFile()) throw new Error('not a regular file');
        size = info.size;
      } catch (error) {
        throw new ValidationError(`cannot read ${file}: ${(error as Error).message}`);
      }
      const client = clientFromEnv();

      let dataset: Dataset;
      let created = false;
      if (options.dataset !== undefined) {
        const datasetId = await new NameResolver(client).dataset(options.dataset);
        dataset = await client.get<Dataset>(`/v1/datasets/${datasetId}`);
      } else {
        dataset = await client.post<Dataset>('/v1/datasets', {
          name: options.name ?? basename(file),
          description: options.description,
        });
        created = true;
      }

      const started = performance.now();
      try {
        const result = await upload(client, dataset.dataset_id, file, format, size);
        const seconds = (performance.now() - started) / 1000;
        say(
          `imported ${count(result.imported)} rows into dataset ${dataset.dataset_id} (${dataset.name}) ` +
            `in ${seconds.toFixed(1)} s (${count(Math.round(result.imported / Math.max(seconds, 0.001)))} rows/s); ` +
            `it has ${count(result.row_count)} rows`,
        );
      } catch (error) {
        // Nothing was imported: do not leave behind the empty dataset made for it.
        if (created) {
          await client.send('DELETE', `/v1/datasets/${dataset.dataset_id}`).catch(() => undefined);
          warn(`nothing was imported; the new dataset ${dataset.dataset_id} was removed again`);
        }
        throw error;
      }
    });
}

async function upload(
  client: ApiClient,
  datasetId: number,
  file: string,
  format: string,
  size: number,
): Promise<{ imported: number; row_count: number }> {
  const response = await client.send('POST', `/v1/datasets/${datasetId}/rows`, {
    body: Readable.toWeb(createReadStream(file)) as ReadableStream<Uint8Array>,
    contentType: CONTENT_TYPES[format],
    contentLength: size,
  });
  return (await response.json()) as { imported: number; row_count: number };
}
