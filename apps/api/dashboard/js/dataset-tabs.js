import { h } from './dom.js';
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
