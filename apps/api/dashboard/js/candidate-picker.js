import { h } from './dom.js';
import { candidateKey } from './routes.js';

/**
 * A <select> of a dataset's candidates (model × prompt), from its leaderboard's entries;
 * its value is "model/prompt". `onPick()` when the user picks one.
 */
export function candidatePicker({ label, catalog, onPick }) {
  const select = h('select', { 'aria-label': label });
  select.addEventListener('change', () => onPick());
  return {
    element: h('label', { class: 'picker' }, h('span', { text: label }), select),
    /** The candidate selected now, or null. */
    value() {
      const [model, prompt] = select.value.split('/').map(Number);
      return model && prompt ? { model_id: model, prompt_id: prompt } : null;
    },
    /** Lists `entries` and selects `chosen` (or the placeholder). */
    fill(entries, chosen) {
      select.replaceChildren(
        h('option', { value: '', text: 'choose a candidate…' }),
        ...entries.map((entry) =>
          h('option', {
            value: candidateKey(entry),
            text: `${entry.model_name ?? catalog.modelName(entry.model_id)} × ${catalog.promptLabel(entry.prompt_id)}`,
          }),
        ),
      );
      select.value = chosen ? candidateKey(chosen) : '';
    },
  };
}

/** The candidates of a dataset: its leaderboard's entries (model × prompt, with names). */
export async function datasetCandidates(api, datasetId) {
  const { body } = await api.getJson(`/v1/datasets/${datasetId}/leaderboard`, {
    revalidate: true,
  });
  return body.entries;
}
