import { backLink, h, setText, showNotice } from './dom.js';
import { formatDateTime } from './format.js';
import { lineDiff, promptLines } from './prompt-diff.js';
import { promptsHash, promptVersionsHash } from './routes.js';

const MARK = { ' ': ' ', '-': '−', '+': '+' };
const OP_CLASS = { ' ': 'same', '-': 'removed', '+': 'added' };

function defaultsText(defaults) {
  const parts = Object.entries(defaults ?? {}).map(([key, value]) => `${key} ${value}`);
  return parts.length === 0 ? null : `model defaults: ${parts.join(', ')}`;
}

/** One version as a card: number, labels, commit message, and its messages (or text). */
function versionCard(prompt) {
  const messages =
    prompt.type === 'chat' && Array.isArray(prompt.messages)
      ? prompt.messages
      : [{ role: 'text', content: prompt.text }];
  return h(
    'article',
    { class: 'version', data: { version: prompt.version } },
    h(
      'h2',
      {},
      `v${prompt.version}`,
      ...prompt.labels.map((label) => h('span', { class: 'label-badge', text: label })),
      h('span', {
        class: 'dataset-facts',
        text: ` #${prompt.prompt_id} · ${prompt.type} · ${formatDateTime(prompt.created_at)}`,
      }),
    ),
    h('p', {
      class: prompt.commit_message ? 'commit-message' : 'commit-message notice',
      text: prompt.commit_message || 'no commit message',
    }),
    defaultsText(prompt.model_defaults)
      ? h('p', { class: 'notice', text: defaultsText(prompt.model_defaults) })
      : null,
    messages.map((m) =>
      h(
        'div',
        { class: 'message', data: { role: m.role } },
        h('span', { class: 'role', text: m.role }),
        h('div', { class: 'text', text: m.content }),
      ),
    ),
  );
}

/**
 * A named prompt's versions (GET /v1/prompts?name=), newest first, each with its
 * labels, commit message and messages, and a line diff of the rendered messages of two
 * versions (?a=&b=; by default the latest against the one before). Prompt text is
 * untrusted: set as text.
 */
export function createPromptVersionsView({ api }) {
  const title = h('h1');
  const status = h('p', { class: 'notice' });
  const from = h('select', { 'aria-label': 'Diff from version' });
  const to = h('select', { 'aria-label': 'Diff to version' });
  const diff = h('div', { class: 'diff', role: 'table', 'aria-label': 'line diff' });
  const diffFacts = h('p', { class: 'notice diff-facts' });
  const diffSection = h(
    'section',
    { class: 'diff-section' },
    h('h2', { class: 'section-title', text: 'Diff' }),
    h(
      'div',
      { class: 'filters pickers' },
      h('label', { class: 'picker' }, 'from', from),
      h('label', { class: 'picker' }, 'to', to),
    ),
    diffFacts,
    diff,
  );
  const versions = h('div', { class: 'versions' });
  const element = h(
    'section',
    { class: 'view prompt-versions-view', hidden: true },
    backLink(promptsHash(), '← All prompts'),
    h('div', { class: 'view-head' }, title),
    status,
    diffSection,
    h('h2', { class: 'section-title', text: 'Versions' }),
    versions,
  );

  let route = null;
  let generation = 0;
  const pick = () => {
    location.hash = promptVersionsHash(route.name, from.value, to.value);
  };
  from.addEventListener('change', pick);
  to.addEventListener('change', pick);

  function renderDiff(byVersion, a, b) {
    const lines = lineDiff(promptLines(a), promptLines(b));
    const added = lines.filter((l) => l.op === '+').length;
    const removed = lines.filter((l) => l.op === '-').length;
    setText(
      diffFacts,
      added + removed === 0
        ? `v${a.version} and v${b.version} render the same messages.`
        : `v${a.version} → v${b.version}: ${added} line${added === 1 ? '' : 's'} added, ${removed} removed.`,
    );
    diff.replaceChildren(
      ...lines.map((line) =>
        h(
          'div',
          { class: `diff-line ${OP_CLASS[line.op]}`, role: 'row', data: { op: OP_CLASS[line.op] } },
          h('span', { class: 'mark', 'aria-hidden': 'true', text: MARK[line.op] }),
          h('span', { class: 'line', text: line.text === '' ? ' ' : line.text }),
        ),
      ),
    );
    for (const [select, version] of [
      [from, a.version],
      [to, b.version],
    ]) {
      select.replaceChildren(
        ...[...byVersion.keys()].map((v) => h('option', { value: v, text: `v${v}` })),
      );
      select.value = String(version);
    }
  }

  async function load() {
    const mine = generation;
    try {
      const { items } = await api.getAllPages(
        `/v1/prompts?name=${encodeURIComponent(route.name)}&limit=1000`,
      );
      if (mine !== generation) return;
      if (items.length === 0) {
        setText(status, `There is no prompt named ${route.name}.`);
        return;
      }
      status.hidden = true;
      const sorted = [...items].sort((x, y) => x.version - y.version);
      const byVersion = new Map(sorted.map((p) => [p.version, p]));
      const latest = sorted[sorted.length - 1];
      const b = byVersion.get(route.b) ?? latest;
      const a = byVersion.get(route.a) ?? sorted[Math.max(sorted.indexOf(b) - 1, 0)];
      diffSection.hidden = sorted.length < 2;
      if (sorted.length >= 2) renderDiff(byVersion, a, b);
      versions.replaceChildren(...[...sorted].reverse().map(versionCard));
    } catch (error) {
      if (mine === generation) setText(status, `Could not read the versions: ${error.message}`);
    }
  }

  return {
    element,
    open(next) {
      generation += 1;
      route = next;
      setText(title, `Prompt ${route.name}`);
      showNotice(status, 'Loading the versions…');
      diffSection.hidden = true;
      versions.replaceChildren();
      element.hidden = false;
      void load();
    },
    close() {
      generation += 1;
      element.hidden = true;
    },
  };
}
