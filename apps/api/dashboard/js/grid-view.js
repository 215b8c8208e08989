import { clear, h, labelCells, setText, tableHead } from './dom.js';
import { datasetPageHead } from './dataset-tabs.js';
import { formatCount } from './format.js';
import { outputCell } from './output-cell.js';
import { pagedList } from './paged-list.js';
import { candidateKey } from './routes.js';

const PAGE_SIZE = 50;

/**
 * A dataset's rows × candidates (GET /v1/datasets/:id/grid): each row's content and
 * expected answer, then every candidate's verdict and output, 50 rows a page (one API
 * call, one query, per page). A cell opens that prediction's grading. The columns are
 * the route's candidates, or the dataset's jobs by default.
 */
export function createGridView({ api, catalog, panel }) {
  const head = datasetPageHead({ view: 'grid', word: 'Grid', catalog });
  const status = h('p', { class: 'notice' });
  const table = h('table', { class: 'grid stack' });
  const more = h('button', { type: 'button', class: 'load-more', text: 'Load more rows' });
  const element = h(
    'section',
    { class: 'view grid-view', hidden: true },
    ...head.nodes,
    status,
    h('div', { class: 'grid-wrap' }, table),
    more,
  );

  let route = null;
  let columns = [];
  let tbody = null;

  function start(candidates) {
    columns = ['Row', 'Content', 'Expected', ...candidates.map((c) => catalog.candidateName(c))];
    tbody = h('tbody');
    const thead = tableHead(columns, ['Row']);
    candidates.forEach((c, index) => {
      const th = thead.querySelectorAll('th')[index + 3];
      th.dataset.candidate = candidateKey(c);
      th.title = catalog.promptText(c.prompt_id).slice(0, 2000);
    });
    table.replaceChildren(thead, tbody);
  }

  function rowOf(row) {
    return labelCells(
      h(
        'tr',
        { data: { row: row.row_id } },
        h('td', { class: 'num', text: row.row_id }),
        h(
          'td',
          { class: 'content' },
          h('div', { class: 'text', text: `${row.content}${row.content_truncated ? '…' : ''}` }),
        ),
        h('td', { class: 'expected' }, h('div', { class: 'text', text: row.expected_prediction })),
        row.cells.map((cell) => outputCell(cell, panel)),
      ),
      columns,
    );
  }

  const pages = pagedList({
    button: more,
    async readPage(cursor) {
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (route.candidates) query.set('candidates', route.candidates.map(candidateKey).join(','));
      if (cursor !== null) query.set('cursor', cursor);
      const [{ body }] = await Promise.all([
        api.getJson(`/v1/datasets/${route.datasetId}/grid?${query}`),
        catalog.ready(),
      ]);
      return body;
    },
    onPage(body) {
      if (tbody === null) start(body.candidates);
      tbody.append(...body.items.map(rowOf));
      const total = catalog.datasets.get(route.datasetId)?.row_count;
      setText(
        status,
        body.candidates.length === 0
          ? 'No jobs over this dataset yet: the rows alone.'
          : `Showing ${formatCount(tbody.childElementCount)}${total === undefined ? '' : ` of ${formatCount(total)}`} rows × ${formatCount(body.candidates.length)} candidates. Click an answer for its grading.`,
      );
    },
    onError: (error) => setText(status, `Could not read the grid: ${error.message}`),
  });

  return {
    element,
    open(next) {
      route = next;
      pages.reset();
      tbody = null;
      clear(table);
      setText(status, 'Loading the grid…');
      head.show(route.datasetId);
      element.hidden = false;
      void pages.next();
    },
    close() {
      pages.reset();
      element.hidden = true;
    },
  };
}
