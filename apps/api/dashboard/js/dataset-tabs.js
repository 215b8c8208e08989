import { h, setText } from './dom.js';
import { classificationHash, compareHash, gridHash, leaderboardHash } from './routes.js';

const TABS = [
  { view: 'leaderboard', text: 'Leaderboard', href: leaderboardHash },
  { view: 'grid', text: 'Grid', href: (id) => gridHash(id) },
  { view: 'compare', text: 'Compare', href: (id) => compareHash(id) },
  { view: 'classification', text: 'Classification', href: (id) => classificationHash(id) },
];

/** The pages of one dataset, as tabs; `current` is the view showing. */
export function datasetTabs(datasetId, current) {
  return h(
    'nav',
    { class: 'tabs', 'aria-label': 'Dataset pages' },
    TABS.map((tab) =>
      h('a', {
        href: tab.href(datasetId),
        text: tab.text,
        'aria-current': tab.view === current ? 'page' : null,
      }),
    ),
  );
}

/**
 * The head of a dataset page other than the leaderboard: a link back to the
 * leaderboard, "<Word>: <dataset name>", and the dataset's tabs. `show(datasetId)`
 * fills it for a dataset.
 */
export function datasetPageHead({ view, word, catalog }) {
  const crumbs = h('nav', { class: 'crumbs' });
  const title = h('h1');
  const tabs = h('div');
  return {
    nodes: [crumbs, h('div', { class: 'view-head' }, title), tabs],
    show(datasetId) {
      crumbs.replaceChildren(h('a', { href: leaderboardHash(datasetId), text: '← Leaderboard' }));
      setText(title, `${word}: ${catalog.datasetName(datasetId)}`);
      tabs.replaceChildren(datasetTabs(datasetId, view));
    },
  };
}
