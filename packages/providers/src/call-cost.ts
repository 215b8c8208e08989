import type { ModelConfig } from './model-config.js';

/** A model's prices, USD per million tokens (docs/cost.md). */
export interface ModelPrices {
  inPerMtok: number;
  outPerMtok: number;
}

/** The model's prices, or undefined when its config sets neither (its calls have no cost). */
export function modelPrices(config: ModelConfig): ModelPrices | undefined {
  if (config.price_in_per_mtok === undefined && config.price_out_per_mtok === undefined) {
    return undefined;
  }
  return { inPerMtok: config.price_in_per_mtok ?? 0, outPerMtok: config.price_out_per_mtok ?? 0 };
}

/**
 * A model's prices for a request sent in a provider batch: the online prices × the
 * batch price factor (docs/batch.md). The cost rule below then applies unchanged.
 */
export function batchPrices(
  prices: ModelPrices | undefined,
  factor: number,
): ModelPrices | undefined {
  if (!prices) return undefined;
  return { inPerMtok: prices.inPerMtok * factor, outPerMtok: prices.outPerMtok * factor };
}

/**
 * The cost rule, the one place a call's cost is decided (candidate and judge calls alike):
 * prompt tokens × the input price + completion tokens × the output price, per million.
 * Null when the model has no price; a token count the provider did not report counts 0.
 */
export function callCost(
  prices: ModelPrices | undefined,
  promptTokens: number | null | undefined,
  completionTokens: number | null | undefined,
): number | null {
  if (!prices) return null;
  return (
    ((promptTokens ?? 0) * prices.inPerMtok + (completionTokens ?? 0) * prices.outPerMtok) / 1e6
  );
}
