import type { Command } from 'commander';
import type { Comparison } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { candidate, reference } from '../parse-options.js';
import { say } from '../output.js';
import { NameResolver } from '../resolve-names.js';
import { formatComparison } from '../comparison-table.js';

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
        say(
          formatComparison(
            result,
            `A ${refA.model}/${refA.prompt}`,
            `B ${refB.model}/${refB.prompt}`,
          ),
        );
      },
    );
}
