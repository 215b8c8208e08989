import { createWriteStream } from 'node:fs';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { InvalidArgumentError, type Command } from 'commander';
import type { Page, Prediction } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { addJobFilterOptions, type JobFilterOptions } from '../job-filter-options.js';
import { resolveFilter } from '../resolve-names.js';
import { positiveId } from '../parse-options.js';
import { say } from '../output.js';
import { formatTable } from '../table.js';

interface ResultsOptions extends JobFilterOptions {
  status?: 'success' | 'failed';
  verdict?: 'right' | 'wrong' | 'ungraded';
  format: 'table' | 'csv' | 'jsonl';
  limit: number;
  output?: string;
}

/** --verdict as the API's `passed` filter. */
const VERDICTS = { right: 'true', wrong: 'false', ungraded: 'null' } as const;

export function registerResults(program: Command): void {
  addJobFilterOptions(
    program
      .command('results')
      .description('predictions with their rows: a table, or a full CSV / JSONL export (streamed)'),
  )
    .option('--status <status>', 'success or failed', (value) => {
      if (value !== 'success' && value !== 'failed')
        throw new InvalidArgumentError('expected success or failed');
      return value;
    })
    .option(
      '--verdict <verdict>',
      'right (passed), wrong (graded and failed its assertions) or ungraded',
      (value) => {
        if (!(value in VERDICTS))
          throw new InvalidArgumentError('expected right, wrong or ungraded');
        return value;
      },
    )
    .option(
      '--format <format>',
      'table, csv or jsonl',
      (value) => {
        if (!['table', 'csv', 'jsonl'].includes(value))
          throw new InvalidArgumentError('expected table, csv or jsonl');
        return value;
      },
      'table',
    )
    .option('--limit <n>', 'rows in the table (at most 1000)', positiveId, 20)
    .option('--output <file>', 'write the CSV / JSONL export to a file instead of stdout')
    .action(async (options: ResultsOptions) => {
      const client = clientFromEnv();
      const filter = {
        ...(options.job ?? (await resolveFilter(client, options))),
        status: options.status,
        passed: options.verdict && VERDICTS[options.verdict],
      };
      if (options.format === 'table') {
        const page = await client.get<Page<Prediction>>('/v1/predictions', {
          ...filter,
          limit: Math.min(options.limit, 1000),
        });
        if (page.items.length === 0) {
          say('no predictions match');
          return;
        }
        say(
          formatTable(
            ['JOB', 'ROW', 'EXPECTED', 'PREDICTION', 'OK', 'SECONDS', 'CONTENT / ERROR'],
            page.items.map((p) => [
              `${p.model_id}/${p.prompt_id}/${p.dataset_id}`,
              p.row_id,
              p.expected_prediction,
              p.prediction,
              p.status === 'failed'
                ? 'failed'
                : p.passed === null
                  ? 'ungraded'
                  : p.passed
                    ? 'yes'
                    : 'no',
              Number(p.prediction_time.toFixed(3)),
              p.status === 'failed' ? p.error : p.content,
            ]),
            40,
          ),
        );
        if (page.next_cursor) say(`… more: --limit, or --format csv / jsonl for all of them`);
        return;
      }
      const response = await client.send('GET', '/v1/predictions/export', {
        query: { ...filter, format: options.format },
      });
      const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
      const destination = options.output
        ? createWriteStream(options.output)
        : new Writable({
            write(chunk: Buffer, _encoding, callback) {
              if (process.stdout.write(chunk)) callback();
              else process.stdout.once('drain', callback);
            },
          });
      await pipeline(body, destination);
      if (options.output) say(`written to ${options.output}`);
    });
}
