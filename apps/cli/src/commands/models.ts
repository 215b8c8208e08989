import type { Command } from 'commander';
import type { Model, Page } from '@evalq/api/types';
import { clientFromEnv } from '../client.js';
import { integer, jsonObject, number } from '../parse-options.js';
import { say } from '../output.js';
import { formatTable } from '../table.js';

interface AddOptions {
  name: string;
  source: string;
  library?: string;
  description?: string;
  config?: Record<string, unknown>;
  baseUrl?: string;
  apiKeyEnv?: string;
  temperature?: number;
  maxTokens?: number;
  timeoutMs?: number;
  maxRetries?: number;
  maxConcurrency?: number;
  requestsPerMinute?: number;
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('models to evaluate');

  models
    .command('add')
    .description('register a model (the API checks that a client can run it)')
    .requiredOption('--name <name>', "the provider's model name, e.g. gpt-4o-mini or llama3.2")
    .requiredOption('--source <source>', 'openai, ollama or mock')
    .option(
      '--library <library>',
      'the client to use when it differs from --source (openai, ollama, mock)',
    )
    .option('--description <text>', 'what the model is')
    .option(
      '--config <json>',
      'settings as a JSON object (the flags below override its keys)',
      jsonObject,
    )
    .option('--base-url <url>', 'an OpenAI-compatible server, e.g. http://127.0.0.1:8000/v1')
    .option('--api-key-env <name>', "the NAME of the workers' environment variable holding the key")
    .option('--temperature <t>', 'sampling temperature', number)
    .option('--max-tokens <n>', 'most tokens per answer', integer)
    .option('--timeout-ms <ms>', 'per-call timeout', integer)
    .option('--max-retries <n>', 'retries after a failed call', integer)
    .option('--max-concurrency <n>', 'calls in flight across all workers', integer)
    .option('--requests-per-minute <n>', 'rate limit across all workers', integer)
    .action(async (options: AddOptions) => {
      const flags: Record<string, unknown> = {
        base_url: options.baseUrl,
        api_key_env: options.apiKeyEnv,
        temperature: options.temperature,
        max_tokens: options.maxTokens,
        timeout_ms: options.timeoutMs,
        max_retries: options.maxRetries,
        max_concurrency: options.maxConcurrency,
        requests_per_minute: options.requestsPerMinute,
      };
      const config = {
        ...options.config,
        ...Object.fromEntries(Object.entries(flags).filter(([, v]) => v !== undefined)),
      };
      const created = await clientFromEnv().post<Model>('/v1/models', {
        name: options.name,
        source: options.source,
        library: options.library,
        description: options.description,
        config,
      });
      say(`model ${created.model_id} added: ${created.name} (${created.source})`);
    });

  models
    .command('list')
    .description('list models')
    .action(async () => {
      const page = await clientFromEnv().get<Page<Model>>('/v1/models', { limit: 1000 });
      say(
        formatTable(
          ['ID', 'NAME', 'SOURCE', 'LIBRARY', 'CONFIG'],
          page.items.map((m) => [
            m.model_id,
            m.name,
            m.source,
            m.library,
            JSON.stringify(m.config),
          ]),
        ),
      );
    });
}
