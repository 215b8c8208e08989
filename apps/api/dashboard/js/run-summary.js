import { h } from './dom.js';
import { formatAccuracy, formatCount, formatScore, formatUsd } from './format.js';
import { leaderboardTable } from './leaderboard-table.js';
import { compareHash } from './routes.js';

/**
 * A completed run's summary (GET /v1/runs/:id, and the share page's data): its
 * leaderboard with intervals and ★ winners, every comparison of two candidates that
 * share a prompt or a model (the API's verdict in words, with its p-value, and the
 * score difference with its interval), and each prompt's winner. `names` says how models and prompts are called;
 * `datasetId` makes links into the dashboard (the share page passes none).
 */
export function runSummarySection(summary, { names, datasetId = null }) {
  const comparisons = summary.comparisons.map((c) =>
    h(
      'li',
      { data: { winner: c.winner ?? 'none' } },
      h('span', { class: 'verdict-text', text: c.verdict }),
      h('span', {
        class: 'comparison-numbers',
        text: ` (mean score A − B ${formatScore(c.score_diff, { signed: true })}${
          c.score_diff_ci95
            ? `, 95% interval [${c.score_diff_ci95.map((v) => formatScore(v, { signed: true })).join(', ')}]`
            : ''
        })`,
      }),
      datasetId === null
        ? null
        : [' ', h('a', { href: compareHash(datasetId, c.a, c.b), text: 'compare →' })],
    ),
  );
  const winners = summary.winners.map((w) =>
    h('li', {
      text: `${names.prompt(w.prompt_id)}: ${w.model_id === null ? 'no model is significantly better than the others' : `★ ${names.model(w.model_id)}`}`,
    }),
  );
  return [
    h('h2', { class: 'section-title', text: 'Leaderboard' }),
    h('p', {
      class: 'notice',
      text:
        'Ranked by pass rate (passed / graded answers) with its 95% interval; ★ marks the ' +
        "prompt's winner: the best model, significantly better than the runner-up (p < 0.05).",
    }),
    leaderboardTable({
      entries: summary.leaderboard,
      promptLabel: (entry) => entry.prompt_label,
      datasetId,
    }),
    h('h2', { class: 'section-title', text: 'Comparisons' }),
    comparisons.length > 0
      ? h('ul', { class: 'comparisons' }, comparisons)
      : h('p', { class: 'notice', text: 'No two candidates share a prompt or a model.' }),
    h('h2', { class: 'section-title', text: 'Winner per prompt' }),
    h('ul', { class: 'winners' }, winners),
    h('h2', { class: 'section-title', text: 'Cost' }),
    h('p', { class: 'run-cost', text: costText(summary.cost) }),
  ];
}

/** The run's spend (docs/cost.md): cost, cost per passed row, tokens, cache hit rate. */
function costText(cost) {
  if (!cost) return '—';
  const parts = [
    cost.cost_usd === null ? 'no model has a price' : `${formatUsd(cost.cost_usd)} spent`,
    cost.cost_per_pass_usd === null ? null : `${formatUsd(cost.cost_per_pass_usd)} per passed row`,
    `${formatCount(cost.spent_tokens)} tokens`,
    cost.cache_hit_rate === null ? null : `cache hit rate ${formatAccuracy(cost.cache_hit_rate)}`,
  ];
  return parts.filter(Boolean).join(' · ');
}
