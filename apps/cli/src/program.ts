import { Command } from 'commander';
import { registerMigrate } from './commands/migrate.js';
import { registerWorker } from './commands/worker.js';

/** The `evalq` command line: every subcommand registers itself here. */
export function buildProgram(): Command {
  const program = new Command('evalq')
    .description('evalq: batch evaluations of LLMs over labelled datasets')
    .showHelpAfterError('(run evalq --help for usage)');
  registerMigrate(program);
  registerWorker(program);
  return program;
}
