import type { DemoProvider } from './demo-catalog.js';
import { ollamaUrl, type DemoEnv } from './demo-env.js';

/**
 * Whether the real models asked for can be called, checked before anything starts.
 * Returns what to do when they cannot.
 */
export async function checkProvider(
  provider: DemoProvider,
  env: DemoEnv,
): Promise<string | undefined> {
  switch (provider) {
    case 'mock':
      return undefined;
    case 'openai':
      return env.OPENAI_API_KEY
        ? undefined
        : '--provider openai needs OPENAI_API_KEY (and OPENAI_BASE_URL for an OpenAI-compatible server other than api.openai.com).';
    case 'ollama':
      return checkOllama(env);
  }
}

async function checkOllama(env: DemoEnv): Promise<string | undefined> {
  const host = ollamaUrl(env);
  const model = env.EVALQ_DEMO_OLLAMA_MODEL;
  let response: Response;
  try {
    response = await fetch(`${host}/api/tags`, { signal: AbortSignal.timeout(3000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return (
      `Ollama does not answer at ${host} (${cause?.code ?? cause?.message ?? (error as Error).message}). ` +
      'Start it with `ollama serve` (or `docker compose --profile ollama up -d ollama`), or set OLLAMA_HOST.'
    );
  }
  // Anything but Ollama's model list (an older server, a proxy): let the calls tell.
  if (!response.ok) return undefined;
  const body = (await response.json().catch(() => ({}))) as { models?: { name?: string }[] };
  const names = (body.models ?? []).map((entry) => entry.name ?? '');
  if (names.some((name) => name === model || name === `${model}:latest`)) return undefined;
  return (
    `Ollama at ${host} has no model ${model}: run \`ollama pull ${model}\`` +
    (names.length > 0
      ? `, or set EVALQ_DEMO_OLLAMA_MODEL to one it has (${names.join(', ')}).`
      : '.')
  );
}
