import { h, labelCells, setText, tableHead } from './dom.js';
import { formatCount, formatDateTime, oneLine } from './format.js';
import { promptVersionsHash } from './routes.js';

const NAMED_COLUMNS = ['Name', 'Versions', 'Latest', 'Labels', 'Changed'];
const UNNAMED_COLUMNS = ['Prompt', 'Template', 'Created'];

/** Named prompts, each with its versions (oldest first), and the unnamed templates. */
function groupByName(prompts) {
  const named = new Map();
  const unnamed = [];
  for (const prompt of prompts) {
    if (prompt.name === null) unnamed.push(prompt);
    else named.set(prompt.name, [...(named.get(prompt.name) ?? []), prompt]);
  }
  for (const versions of named.values()) versions.sort((x, y) => x.version - y.version);
  return { named: [...named.entries()].sort(([x], [y]) => x.localeCompare(y)), unnamed };
}

/**
 * Every prompt (the catalog's, read with ETags): named prompts with their number of
 * versions, the latest, and which version holds each label, linking to their versions;
 * then the unnamed templates. Prompt text is untrusted: set as text.
 */
export function createPromptsView({ catalog }) {
  const namedBody = h('tbody');
  const unnamedBody = h('tbody');
  const notice = h('p', { class: 'notice' });
  const namedTable = h(
    'table',
    { class: 'prompt-names stack' },
    tableHead(NAMED_COLUMNS, ['Versions', 'Latest']),
    namedBody,
  );
  const unnamedTable = h(
    'table',
    { class: 'prompt-templates stack' },
    tableHead(UNNAMED_COLUMNS),
    unnamedBody,
  );
  const unnamedTitle = h('h2', { class: 'section-title', text: 'Unnamed templates' });
  const element = h(
    'section',
    { class: 'view prompts-view', hidden: true },
    h(
      'div',
      { class: 'view-head' },
      h('h1', { text: 'Prompts' }),
      h('p', {
        class: 'intro',
        text: 'A named prompt is a series of immutable versions; labels such as production point at one of them.',
      }),
    ),
    notice,
    namedTable,
    unnamedTitle,
    unnamedTable,
  );
  let unsubscribe = () => {};

  function render() {
    const { named, unnamed } = groupByName([...catalog.prompts.values()]);
    namedBody.replaceChildren(
      ...named.map(([name, versions]) => {
        const latest = versions[versions.length - 1];
        const labels = versions.flatMap((v) => v.labels.map((label) => `${label} → v${v.version}`));
        return labelCells(
          h(
            'tr',
            { data: { name } },
            h(
              'td',
              { class: 'prompt-name' },
              h('a', { href: promptVersionsHash(name), text: name }),
            ),
            h('td', { class: 'num', text: formatCount(versions.length) }),
            h('td', { class: 'num', text: `v${latest.version}` }),
            h('td', { class: 'labels', text: labels.join(', ') }),
            h('td', { text: formatDateTime(latest.created_at) }),
          ),
          NAMED_COLUMNS,
        );
      }),
    );
    unnamedBody.replaceChildren(
      ...unnamed.map((prompt) =>
        labelCells(
          h(
            'tr',
            {},
            h('td', { class: 'num', text: `#${prompt.prompt_id}` }),
            h('td', {
              class: 'prompt',
              title: prompt.text.slice(0, 2000),
              text: oneLine(prompt.text, 100),
            }),
            h('td', { text: formatDateTime(prompt.created_at) }),
          ),
          UNNAMED_COLUMNS,
        ),
      ),
    );
    namedTable.hidden = named.length === 0;
    unnamedTable.hidden = unnamed.length === 0;
    unnamedTitle.hidden = unnamed.length === 0;
    notice.hidden = named.length > 0 || unnamed.length > 0;
    setText(notice, 'No prompts yet: add one with `evalq prompts add` or POST /v1/prompts.');
  }

  return {
    element,
    open() {
      element.hidden = false;
      render();
      unsubscribe();
      unsubscribe = catalog.subscribe(render);
      catalog.load().catch(() => undefined);
    },
    close() {
      unsubscribe();
      unsubscribe = () => {};
      element.hidden = true;
    },
  };
}
