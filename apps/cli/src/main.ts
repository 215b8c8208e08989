#!/usr/bin/env node
import { EvalqError } from '@evalq/core';
import { warn } from './output.js';
import { buildProgram } from './program.js';

// `evalq results --format csv | head`: a reader that stops early is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(0);
  throw error;
});

try {
  await buildProgram().parseAsync(process.argv);
} catch (error) {
  // Errors evalq raised on purpose carry a message written for a person; anything
  // else is a bug, so its stack is worth showing.
  if (error instanceof EvalqError) warn(`evalq: ${error.message}`);
  else
    warn(
      `evalq: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  process.exitCode = 1;
}
