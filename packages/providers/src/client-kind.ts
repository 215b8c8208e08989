import { ValidationError } from '@evalq/core';

/** The model clients evalq has (docs/providers.md). */
export const CLIENT_KINDS = ['openai', 'ollama', 'mock'] as const;
export type ClientKind = (typeof CLIENT_KINDS)[number];

function isClientKind(value: string): value is ClientKind {
  return (CLIENT_KINDS as readonly string[]).includes(value);
}

/**
 * Which client runs a model: `models.library` when it names a known client, else
 * `models.source`. Matching ignores case and surrounding whitespace.
 */
export function resolveClientKind(model: { library: string; source: string }): ClientKind {
  const library = model.library.trim().toLowerCase();
  if (isClientKind(library)) return library;
  const source = model.source.trim().toLowerCase();
  if (isClientKind(source)) return source;
  throw new ValidationError(
    `no model client for source "${model.source}" with library "${model.library}": ` +
      `set source or library to one of ${CLIENT_KINDS.join(', ')}`,
    [
      {
        path: 'source',
        message: `must be one of ${CLIENT_KINDS.join(', ')} (or set library to one)`,
      },
    ],
  );
}

/**
 * The checks of a model definition that span its fields: a client must run it, and
 * batch dispatch needs the openai client (the only one with a Batch API).
 */
export function checkModelDefinition(model: {
  library: string;
  source: string;
  config?: { dispatch?: string | undefined } | null | undefined;
}): ClientKind {
  const kind = resolveClientKind(model);
  if (model.config?.dispatch === 'batch' && kind !== 'openai') {
    throw new ValidationError(
      `config.dispatch "batch" needs the openai client, and this model runs on ${kind}: ` +
        'remove dispatch or set library to openai',
      [{ path: 'config.dispatch', message: `"batch" needs library openai, not ${kind}` }],
    );
  }
  return kind;
}
