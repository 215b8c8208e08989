import type { Logger } from '@evalq/core';
import type { JudgeCall } from '@evalq/grading';
import { callCost } from '@evalq/providers';
import type { ModelContext } from './job-catalog.js';
import { callModel, type ModelCallDeps } from './model-call.js';

/**
 * Judge calls for llm-judge assertions: made like candidate calls (callModel), under the
 * judge model's own limits, retries, timeout and metrics. Its cost (the one cost rule,
 * packages/providers/src/call-cost.ts) is kept in the prediction's grading and spend. A call that fails for good (or
 * is abandoned at shutdown) throws, which leaves the prediction ungraded with the error.
 */
export function createJudgeCall(
  judgeModel: (modelId: number) => Promise<ModelContext | undefined>,
  deps: ModelCallDeps,
  log: Logger,
): JudgeCall {
  return async ({ model_id, prompt }) => {
    const model = await judgeModel(model_id);
    if (!model) throw new Error(`model ${model_id} does not exist (any more)`);
    const result = await callModel(
      model,
      { messages: [{ role: 'user', content: prompt }] },
      deps,
      () => log,
    );
    if (result.kind === 'abandoned') throw new Error('the call was abandoned: the worker stopped');
    if (result.kind === 'failed') throw new Error(result.error);
    const promptTokens = result.completion.promptTokens ?? null;
    const completionTokens = result.completion.completionTokens ?? null;
    const cost = callCost(model.prices, promptTokens, completionTokens);
    if (cost !== null) deps.metrics.cost.spend.inc({ model_id: String(model.modelId) }, cost);
    return {
      text: result.completion.text,
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      cost_usd: cost,
    };
  };
}
