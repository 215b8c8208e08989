import { readFile } from 'node:fs/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { Page, Prompt } from '@evalq/api/types';
import { ValidationError } from '@evalq/core';
import { promptLabel } from '../candidate-names.js';
import { clientFromEnv } from '../client.js';
import { integer, number, reference } from '../parse-options.js';
import { say } from '../output.js';
import { NameResolver } from '../resolve-names.js';
import { formatTable } from '../table.js';

type Role = 'system' | 'user' | 'assistant';

interface AddOptions {
  name?: string;
  text?: string;
  file?: string;
  system?: string;
  user?: string;
  message: { role: Role; content: string }[];
  label: string[];
  commitMessage?: string;
  temperature?: number;
  maxTokens?: number;
  model?: string;
}

/** `--message role:content`, repeatable: collected in order. */
function message(value: string, previous: AddOptions['message']): AddOptions['message'] {
  const match = /^(system|user|assistant):([\s\S]*)$/.exec(value);
  if (!match) {
    throw new InvalidArgumentError(
      `expected role:content with role system, user or assistant, got "${value.slice(0, 40)}"`,
    );
  }
  return [...previous, { role: match[1] as Role, content: match[2]! }];
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** The messages of a chat prompt: --system, then each --message in order, then --user. */
function chatMessages(options: AddOptions): AddOptions['message'] {
  return [
    ...(options.system === undefined ? [] : [{ role: 'system' as const, content: options.system }]),
    ...options.message,
    ...(options.user === undefined ? [] : [{ role: 'user' as const, content: options.user }]),
  ];
}

export function registerPrompts(program: Command): void {
  const prompts = program
    .command('prompts')
    .description('prompts: templates, versioned by name, with labels such as production');

  prompts
    .command('add')
    .description(
      'add a prompt, or a new version of a named one. Templates use {{content}}, {{expected}} and ' +
        "the rows' input keys ({{question}}, {{meta.lang}}); without any, the content is appended",
    )
    .option('--name <name>', 'a name: this becomes its next version')
    .option('--text <template>', 'a text prompt')
    .option('--file <path>', 'a text prompt read from a file')
    .option('--system <template>', 'a chat prompt: its system message')
    .option('--user <template>', 'a chat prompt: its (last) user message')
    .option(
      '--message <role:template>',
      'a chat prompt: a message, in order (repeatable)',
      message,
      [],
    )
    .option(
      '--label <label>',
      'move this label (e.g. production) to the new version (repeatable)',
      collect,
      [],
    )
    .option('-m, --commit-message <text>', 'what changed in this version')
    .option('--temperature <t>', "override the model's temperature for this prompt", number)
    .option('--max-tokens <n>', "override the model's max_tokens for this prompt", integer)
    .option('--model <id|name>', 'bind the prompt to one model', reference)
    .action(async (options: AddOptions) => {
      const messages = chatMessages(options);
      const texts = [options.text, options.file].filter((v) => v !== undefined).length;
      if (texts + (messages.length > 0 ? 1 : 0) !== 1) {
        throw new ValidationError(
          'give the prompt with exactly one of --text, --file, or chat messages (--system, --user, --message)',
        );
      }
      const client = clientFromEnv();
      const text = options.file === undefined ? options.text : await readFile(options.file, 'utf8');
      const modelDefaults = {
        ...(options.temperature === undefined ? {} : { temperature: options.temperature }),
        ...(options.maxTokens === undefined ? {} : { max_tokens: options.maxTokens }),
      };
      const created = await client.post<Prompt>('/v1/prompts', {
        ...(messages.length > 0 ? { messages } : { text }),
        name: options.name,
        labels: options.label.length > 0 ? options.label : undefined,
        commit_message: options.commitMessage,
        model_defaults: Object.keys(modelDefaults).length > 0 ? modelDefaults : undefined,
        model_id:
          options.model === undefined
            ? undefined
            : await new NameResolver(client).model(options.model),
      });
      say(
        `prompt ${created.prompt_id} added` +
          (created.name === null ? '' : ` as ${promptLabel(created)}`) +
          (created.labels.length > 0 ? ` [${created.labels.join(', ')}]` : '') +
          (created.model_id ? ` (for model ${created.model_id} only)` : '') +
          (created.variables === null || created.variables.length > 0
            ? ''
            : ' — it uses no variable: the row content is appended after a blank line'),
      );
      if (created.variables && created.variables.length > 0) {
        say(`variables: ${created.variables.map((v) => `{{${v}}}`).join(', ')}`);
      }
    });

  prompts
    .command('list')
    .description('list prompts')
    .action(async () => {
      const page = await clientFromEnv().get<Page<Prompt>>('/v1/prompts', { limit: 1000 });
      say(
        formatTable(
          ['ID', 'NAME', 'TYPE', 'LABELS', 'MODEL', 'TEXT'],
          page.items.map((p) => [
            p.prompt_id,
            p.name === null ? '' : promptLabel(p),
            p.type,
            p.labels.join(','),
            p.model_id ?? 'any',
            p.text,
          ]),
        ),
      );
    });

  prompts
    .command('versions')
    .description('the versions of a named prompt, oldest first')
    .argument('<name>', 'the prompt name')
    .action(async (name: string) => {
      const page = await clientFromEnv().get<Page<Prompt>>('/v1/prompts', { name, limit: 1000 });
      if (page.items.length === 0) {
        say(`no prompt is named "${name}": evalq prompts add --name ${name} …`);
        return;
      }
      say(
        formatTable(
          ['VERSION', 'ID', 'TYPE', 'LABELS', 'CREATED', 'COMMIT MESSAGE', 'TEXT'],
          page.items.map((p) => [
            p.version,
            p.prompt_id,
            p.type,
            p.labels.join(','),
            p.created_at,
            p.commit_message ?? '',
            p.text,
          ]),
          40,
        ),
      );
    });

  prompts
    .command('label')
    .description(
      'move labels onto a version (taking them from the version that held them), or off it',
    )
    .argument('<prompt>', 'the version: id, name@version, or name@label')
    .option('--add <label>', 'a label to move onto it (repeatable)', collect, [])
    .option('--remove <label>', 'a label to take off it (repeatable)', collect, [])
    .action(async (ref: string, options: { add: string[]; remove: string[] }) => {
      if (options.add.length + options.remove.length === 0) {
        throw new ValidationError('give --add LABEL or --remove LABEL');
      }
      const client = clientFromEnv();
      const promptId = await new NameResolver(client).prompt(ref);
      const moved = await client.post<Prompt>(`/v1/prompts/${promptId}/labels`, {
        add: options.add,
        remove: options.remove,
      });
      say(
        `${promptLabel(moved)} (prompt ${moved.prompt_id}) now holds [${moved.labels.join(', ')}]`,
      );
    });
}
