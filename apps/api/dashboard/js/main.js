import { createApiClient } from './api-client.js';
import { Catalog } from './catalog.js';
import { h } from './dom.js';
import { createJobRowsView } from './job-rows-view.js';
import { JobStore } from './job-store.js';
import { createJobsView } from './jobs-view.js';
import { createLeaderboardView } from './leaderboard-view.js';
import { startLiveProgress } from './live-progress.js';
import { leaderboardHash, parseRoute } from './routes.js';
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

const views = {
  jobs: createJobsView({ store, catalog }),
  leaderboard: createLeaderboardView({ api, store, catalog }),
  'job-rows': createJobRowsView({ api, store, catalog }),
};
const main = document.getElementById('view');
main.append(views.jobs.element, views.leaderboard.element, views['job-rows'].element);

let current = null;
function route() {
  const next = parseRoute(location.hash);
  if (current !== null && current !== 'jobs') views[current].close();
  if (next.view === 'jobs') views.jobs.show();
  else {
    views.jobs.hide();
    views[next.view].open(next);
  }
  current = next.view;
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
