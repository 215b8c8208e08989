import type { Command } from 'commander';
import type { ClassificationReport } from '../api-types.js';
import { clientFromEnv } from '../client.js';
import { positiveId } from '../parse-options.js';
import { say } from '../output.js';
import { count, formatTable, percent } from '../table.js';

export function registerClassification(program: Command): void {
  program
    .command('classification')
    .description(
      'per-label precision, recall and F1 and the confusion matrix of one model × prompt',
    )
    .requiredOption('--dataset <id>', 'the dataset (few distinct expected labels)', positiveId)
    .requiredOption('--model <id>', 'the model', positiveId)
    .requiredOption('--prompt <id>', 'the prompt', positiveId)
    .option('--json', 'print the report as JSON')
    .action(async (options: { dataset: number; model: number; prompt: number; json?: boolean }) => {
      const report = await clientFromEnv().get<ClassificationReport>(
        `/v1/datasets/${options.dataset}/classification`,
        { model_id: options.model, prompt_id: options.prompt },
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
