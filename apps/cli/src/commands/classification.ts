import type { Command } from 'commander';
import type { ClassificationReport } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { reference } from '../parse-options.js';
import { say } from '../output.js';
import { NameResolver } from '../resolve-names.js';
import { count, formatTable, percent } from '../table.js';

export function registerClassification(program: Command): void {
  program
    .command('classification')
    .description(
      'per-label precision, recall and F1 and the confusion matrix of one model × prompt',
    )
    .requiredOption('--dataset <id|name>', 'the dataset (few distinct expected labels)', reference)
    .requiredOption('--model <id|name>', 'the model', reference)
    .requiredOption('--prompt <ref>', 'the prompt (id, name, name@label, name@version)', reference)
    .option('--json', 'print the report as JSON')
    .action(async (options: { dataset: string; model: string; prompt: string; json?: boolean }) => {
      const client = clientFromEnv();
      const names = new NameResolver(client);
      const [datasetId, model_id, prompt_id] = await Promise.all([
        names.dataset(options.dataset),
        names.model(options.model),
        names.prompt(options.prompt),
      ]);
      const report = await client.get<ClassificationReport>(
        `/v1/datasets/${datasetId}/classification`,
        { model_id, prompt_id },
      );
      if (options.json) {
        say(JSON.stringify(report, null, 2));
        return;
      }
      say(
        formatTable(
          ['LABEL', 'PRECISION', 'RECALL', 'F1', 'SUPPORT', 'PREDICTED'],
          [
            ...report.per_label.map((m) => [
              m.label,
              percent(m.precision),
              percent(m.recall),
              percent(m.f1),
              count(m.support),
              count(m.predicted),
            ]),
            [
              'macro average',
              percent(report.macro_precision),
              percent(report.macro_recall),
              percent(report.macro_f1),
              count(report.n),
              '',
            ],
          ],
        ),
      );
      say('');
      say('confusion matrix (rows: expected, columns: predicted)');
      say(
        formatTable(
          ['EXPECTED', ...report.labels, '(other)'],
          report.labels.map((labelName, i) => [labelName, ...report.confusion[i]!.map(count)]),
        ),
      );
      const outside = report.outside_label_set;
      say(
        `accuracy ${percent(report.accuracy)} over ${count(report.n)} predictions; ` +
          `${count(outside.count)} outside the label set` +
          (outside.top.length > 0
            ? ` (most often: ${outside.top
                .slice(0, 3)
                .map((o) => `${JSON.stringify(o.predicted)} ×${o.count}`)
                .join(', ')})`
            : ''),
      );
    });
}
