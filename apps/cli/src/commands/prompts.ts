import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ValidationError } from '@evalq/core';
import type { Page, Prompt } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { positiveId } from '../parse-options.js';
import { say } from '../output.js';
import { formatTable } from '../table.js';

export function registerPrompts(program: Command): void {
  const prompts = program.command('prompts').description('prompt templates');

  prompts
    .command('add')
    .description('add a prompt template; {{content}} stands for the row content')
    .option('--text <template>', 'the template')
    .option('--file <path>', 'read the template from a file')
    .option('--model <id>', 'bind the prompt to one model', positiveId)
    .action(async (options: { text?: string; file?: string; model?: number }) => {
      if ((options.text === undefined) === (options.file === undefined)) {
        throw new ValidationError('give the template with either --text or --file');
      }
      const text = options.text ?? (await readFile(options.file!, 'utf8'));
      const created = await clientFromEnv().post<Prompt>('/v1/prompts', {
        text,
        model_id: options.model,
      });
      say(
        `prompt ${created.prompt_id} added${created.model_id ? ` (for model ${created.model_id} only)` : ''}` +
          (text.includes('{{content}}')
            ? ''
            : ' — it has no {{content}}: the row content is appended after a blank line'),
      );
    });

  prompts
    .command('list')
    .description('list prompts')
    .action(async () => {
      const page = await clientFromEnv().get<Page<Prompt>>('/v1/prompts', { limit: 1000 });
      say(
        formatTable(
          ['ID', 'MODEL', 'TEXT'],
          page.items.map((p) => [p.prompt_id, p.model_id ?? 'any', p.text]),
        ),
      );
    });
}
