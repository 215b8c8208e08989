import { createApiClient } from './api-client.js';
import { Catalog } from './catalog.js';
import { createClassificationView } from './classification-view.js';
import { createCompareView } from './compare-view.js';
import { h } from './dom.js';
import { createGridView } from './grid-view.js';
import { createJobRowsView } from './job-rows-view.js';
import { JobStore } from './job-store.js';
import { createJobsView } from './jobs-view.js';
import { createLeaderboardView } from './leaderboard-view.js';
import { startLiveProgress } from './live-progress.js';
import { createPredictionPanel } from './prediction-panel.js';
import { createPromptVersionsView } from './prompt-versions-view.js';
import { createPromptsView } from './prompts-view.js';
import { leaderboardHash, parseRoute } from './routes.js';
import { createRunView } from './run-view.js';
import { createRunsView } from './runs-view.js';
import { createTokenDialog } from './token-dialog.js';
import { tokenStore } from './token-store.js';

/** The dashboard: wires the API client, the live job store, the views and the router. */

const MODE_TEXT = {
  connecting: 'connecting…',
  live: 'live',
  polling: 'polling',
  offline: 'API unreachable',
};
const MODE_TITLE = {
  connecting: 'Connecting to the API',
  live: 'Progress arrives as it happens (Server-Sent Events)',
  polling: 'The event stream is unavailable: the job list is read every 2 s instead',
  offline: 'The API cannot be reached; retrying',
};

const tokenDialog = createTokenDialog(document.getElementById('token-dialog'));
const forget = document.getElementById('forget-token');
const api = createApiClient({
  tokens: tokenStore,
  askForToken: async (message) => {
    const token = await tokenDialog.ask(message);
    forget.hidden = false;
    return token;
  },
});
const store = new JobStore();
const catalog = new Catalog(api);

const panel = createPredictionPanel({ api, catalog });
// The jobs view is built once and kept (hidden) while others show: coming back is free.
const jobsView = createJobsView({ store, catalog });
const views = {
  runs: createRunsView({ api, store, catalog }),
  run: createRunView({ api, store, catalog }),
  jobs: { element: jobsView.element, open: jobsView.show, close: jobsView.hide },
  'job-rows': createJobRowsView({ api, store, catalog, panel }),
  leaderboard: createLeaderboardView({ api, store, catalog }),
  compare: createCompareView({ api, catalog, panel }),
  grid: createGridView({ api, catalog, panel }),
  classification: createClassificationView({ api, catalog }),
  prompts: createPromptsView({ catalog }),
  'prompt-versions': createPromptVersionsView({ api }),
};
jobsView.hide();
document.getElementById('view').append(...Object.values(views).map((view) => view.element));

let current = null;
function route() {
  const next = parseRoute(location.hash);
  panel.close();
  if (current !== null) views[current].close();
  views[next.view].open(next);
  current = next.view;
  for (const link of document.querySelectorAll('.topnav a[data-view]')) {
    if (link.dataset.view === next.view) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  window.scrollTo(0, 0);
}
window.addEventListener('hashchange', route);
route();

const liveStatus = document.getElementById('live-status');
function showMode(mode, detail) {
  liveStatus.dataset.mode = mode;
  liveStatus.textContent = MODE_TEXT[mode];
  liveStatus.title = detail ? `${MODE_TITLE[mode]}: ${detail}` : MODE_TITLE[mode];
}

// The leaderboard picker in the header lists every dataset.
const picker = document.getElementById('dataset-picker');
picker.addEventListener('change', () => {
  if (picker.value !== '') location.hash = leaderboardHash(picker.value);
  picker.value = '';
});
catalog.subscribe(() => {
  picker.replaceChildren(
    h('option', { value: '', text: 'Leaderboard of…' }),
    ...[...catalog.datasets.values()].map((dataset) =>
      h('option', { value: dataset.dataset_id, text: `${dataset.name} (#${dataset.dataset_id})` }),
    ),
  );
});

forget.addEventListener('click', () => {
  tokenStore.clear();
  location.reload();
});
forget.hidden = tokenStore.get() === null;

catalog.load().catch((error) => showMode('offline', error.message));
startLiveProgress({ api, store, onMode: showMode });
