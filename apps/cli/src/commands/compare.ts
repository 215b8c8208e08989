import type { Command } from 'commander';
import type { Comparison } from '../api-types.js';
import { clientFromEnv } from '../client.js';
import { candidate, positiveId } from '../parse-options.js';
import { say } from '../output.js';
import { count, formatTable } from '../table.js';

type Candidate = { model_id: number; prompt_id: number };
const label = (c: Candidate) => `${c.model_id}/${c.prompt_id}`;

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      'is candidate A or B better on the same rows? McNemar exact test and a bootstrap interval',
    )
    .requiredOption('--dataset <id>', 'the dataset', positiveId)
    .argument('<a>', 'candidate A as model/prompt, e.g. 1/2', candidate)
    .argument('<b>', 'candidate B as model/prompt', candidate)
    .option('--json', 'print the comparison as JSON')
    .action(async (a: Candidate, b: Candidate, options: { dataset: number; json?: boolean }) => {
      const result = await clientFromEnv().get<Comparison>('/v1/compare', {
        dataset_id: options.dataset,
        a: label(a),
        b: label(b),
      });
      if (options.json) {
        say(JSON.stringify(result, null, 2));
        return;
      }
      say(
        formatTable(
          ['', `B ${label(b)} PASSES`, `B ${label(b)} FAILS`, 'TOTAL'],
          [
            [
              `A ${label(a)} passes`,
              count(result.both),
              count(result.a_only),
              count(result.a_pass),
            ],
            [
              `A ${label(a)} fails`,
              count(result.b_only),
              count(result.neither),
              count(result.n_paired - result.a_pass),
            ],
            [
              'total',
              count(result.b_pass),
              count(result.n_paired - result.b_pass),
              count(result.n_paired),
            ],
          ],
        ),
      );
      const ci = result.score_diff_ci95;
      say(
        `McNemar exact p = ${result.mcnemar_p.toPrecision(3)}; mean score A − B = ` +
          (result.score_diff === null
            ? '–'
            : `${result.score_diff.toFixed(4)} (95% bootstrap interval ${ci![0].toFixed(4)} to ${ci![1].toFixed(4)})`),
      );
      say(
        result.winner === null
          ? `${result.verdict}: no winner`
          : `${result.verdict}: ${result.winner === 'a' ? `A ${label(a)}` : `B ${label(b)}`} is better`,
      );
    });
}
