import type { z } from 'zod';
import { ConfigError } from './errors/config-error.js';

/**
 * Parses environment variables with a zod schema, once, at a process's entry point.
 * Empty strings count as unset, so `FOO= npm run worker` falls back to the default.
 * Every bad variable is named in one error, with what was expected.
 */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  env: Record<string, string | undefined>,
): Readonly<z.output<S>> {
  const present: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && value !== '') present[name] = value;
  }
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const variable = issue.path.join('.') || '(environment)';
      const got = typeof issue.path[0] === 'string' ? present[issue.path[0]] : undefined;
      const shown =
        got === undefined ? '' : ` (got ${JSON.stringify(redactIfSecret(variable, got))})`;
      return { path: variable, message: `${variable}: ${issue.message}${shown}` };
    });
    throw new ConfigError(
      `Invalid configuration:\n  ${problems.map((p) => p.message).join('\n  ')}`,
      { details: problems },
    );
  }
  return Object.freeze(parsed.data);
}

function redactIfSecret(variable: string, value: string): string {
  return /TOKEN|KEY|SECRET|PASSWORD/i.test(variable) ? '***' : value;
}
