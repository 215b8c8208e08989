import type { Command } from 'commander';
import type { CanceledRun, Page, Run, RunListItem } from '@evalq/api/types';
import type { ApiClient } from '../api-client.js';
import { candidateNames, type CandidateNames } from '../candidate-names.js';
import { clientFromEnv } from '../client.js';
import { say } from '../output.js';
import { reference } from '../parse-options.js';
import { NameResolver } from '../resolve-names.js';
import { formatRunSummary } from '../run-summary-table.js';
import { formatTable } from '../table.js';
import { watchRun } from '../watch-run.js';

/** Prints a run's jobs (and summary when completed); with `watch`, follows it live first. */
export async function showRun(
  client: ApiClient,
  run: Run,
  names: CandidateNames,
  watch: boolean,
): Promise<void> {
  let current = run;
  if (watch && !['completed', 'canceled'].includes(run.status)) {
    const watched = await watchRun(client, run, names);
    current = watched.run;
    if (!watched.finished) {
      say(`stopped watching; the run keeps going (evalq runs show ${run.id} --watch)`);
      return;
    }
  }
  say(
    `run ${current.id}${current.name ? ` "${current.name}"` : ''}: ${current.status}, ` +
      `${current.progress.done}/${current.progress.total} rows (${current.progress.percent}%), ${current.progress.failed} failed`,
  );
  say(
    formatTable(
      ['MODEL', 'PROMPT', 'STATUS', 'DONE', 'FAILED', 'ACCURACY'],
      current.jobs.map(({ job, ...key }) => [
        names.model(key.model_id),
        names.prompt(key.prompt_id),
        job?.status ?? 'cancelled',
        job ? `${job.done}/${job.total}` : '',
        job?.failed ?? null,
        job?.accuracy === null || job === null ? '' : `${(job.accuracy * 100).toFixed(1)}%`,
      ]),
    ),
  );
  if (current.summary) say(formatRunSummary(current.summary, names));
}

export function registerRuns(program: Command): void {
  const runs = program.command('runs').description('runs: evaluations launched as a whole');

  runs
    .command('list', { isDefault: true })
    .description('list runs, newest first')
    .option('--dataset <id|name>', 'only runs over this dataset', reference)
    .action(async (options: { dataset?: string }) => {
      const client = clientFromEnv();
      const dataset_id =
        options.dataset === undefined
          ? undefined
          : await new NameResolver(client).dataset(options.dataset);
      const page = await client.get<Page<RunListItem>>('/v1/runs', { dataset_id, limit: 100 });
      if (page.items.length === 0) {
        say('no runs yet: evalq run --dataset … --models … --prompts …');
        return;
      }
      say(
        formatTable(
          ['ID', 'NAME', 'DATASET', 'STATUS', 'DONE', 'FAILED', 'CREATED'],
          page.items.map((run) => [
            run.id,
            run.name ?? '',
            run.dataset_id,
            run.status,
            `${run.progress.done}/${run.progress.total}`,
            run.progress.failed,
            run.created_at,
          ]),
        ),
      );
    });

  runs
    .command('show')
    .description("a run's jobs and, once completed, its summary")
    .argument('<id>', 'the run id')
    .option('--watch', 'follow it live until it completes')
    .action(async (id: string, options: { watch?: boolean }) => {
      const client = clientFromEnv();
      const run = await client.get<Run>(`/v1/runs/${encodeURIComponent(id)}`);
      await showRun(
        client,
        run,
        await candidateNames(client, run.model_ids, run.prompt_ids),
        Boolean(options.watch),
      );
    });

  runs
    .command('cancel')
    .description(
      'cancel a run: its unfinished jobs that no other run uses are cancelled; finished ones stay',
    )
    .argument('<id>', 'the run id')
    .action(async (id: string) => {
      const canceled = await clientFromEnv().json<CanceledRun>(
        'DELETE',
        `/v1/runs/${encodeURIComponent(id)}`,
      );
      say(
        `run ${canceled.id} canceled: ${canceled.canceled_jobs.length} unfinished job(s) cancelled` +
          (canceled.kept_jobs.length > 0
            ? `, ${canceled.kept_jobs.length} kept (another run uses them)`
            : ''),
      );
    });
}
