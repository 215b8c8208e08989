import type { Command } from 'commander';
import type { Comparison } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { candidate, reference } from '../parse-options.js';
import { say } from '../output.js';
import { NameResolver } from '../resolve-names.js';
import { count, formatTable } from '../table.js';

type CandidateRef = { model: string; prompt: string };

export function registerCompare(program: Command): void {
  program
    .command('compare')
    .description(
      'is candidate A or B better on the same rows? McNemar exact test and a bootstrap interval',
    )
    .requiredOption('--dataset <id|name>', 'the dataset', reference)
    .argument(
      '<a>',
      'candidate A as model/prompt, ids or names: 1/2, fake-gpt/classify@production',
      candidate,
    )
    .argument('<b>', 'candidate B as model/prompt', candidate)
    .option('--json', 'print the comparison as JSON')
    .action(
      async (
        refA: CandidateRef,
        refB: CandidateRef,
        options: { dataset: string; json?: boolean },
      ) => {
        const client = clientFromEnv();
        const names = new NameResolver(client);
        const [datasetId, a, b] = await Promise.all([
          names.dataset(options.dataset),
          names.candidate(refA),
          names.candidate(refB),
        ]);
        const result = await client.get<Comparison>('/v1/compare', {
          dataset_id: datasetId,
          a: `${a.model_id}/${a.prompt_id}`,
          b: `${b.model_id}/${b.prompt_id}`,
        });
        if (options.json) {
          say(JSON.stringify(result, null, 2));
          return;
        }
        const labelA = `A ${refA.model}/${refA.prompt}`;
        const labelB = `B ${refB.model}/${refB.prompt}`;
        say(formatContingency(result, labelA, labelB));
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
            : `${result.verdict}: ${result.winner === 'a' ? labelA : labelB} is better`,
        );
      },
    );
}

/** The 2×2 table of verdicts with its margins. */
function formatContingency(result: Comparison, labelA: string, labelB: string): string {
  return formatTable(
    ['', `${labelB} PASSES`, `${labelB} FAILS`, 'TOTAL'],
    [
      [`${labelA} passes`, count(result.both), count(result.a_only), count(result.a_pass)],
      [
        `${labelA} fails`,
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
  );
}
