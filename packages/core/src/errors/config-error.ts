import { EvalqError } from './evalq-error.js';

/** Configuration (environment variables, options) is missing or malformed. Fatal at start-up. */
export class ConfigError extends EvalqError {
  constructor(message: string, options?: { details?: unknown; cause?: unknown }) {
    super('CONFIG_INVALID', message, options);
  }
}
