import { h } from './dom.js';
import { DASH } from './format.js';
import { verdictBadge, verdictOf } from './verdict.js';

/**
 * A table cell with one candidate's answer to a row: its verdict and its output (or the
 * error of a failed call), the whole cell a button that opens the prediction's grading.
 * `prediction` null: no prediction for the row yet. Output and error are set as text.
 */
export function outputCell(prediction, panel, className = 'output') {
  if (prediction === null || prediction === undefined) {
    return h('td', { class: `${className} empty` }, verdictBadge('none'));
  }
  const verdict = verdictOf(prediction);
  const text = verdict === 'failed' ? prediction.error : prediction.prediction;
  const cut = prediction.prediction_truncated ? '…' : '';
  return h(
    'td',
    { class: className, data: { verdict } },
    h(
      'button',
      {
        type: 'button',
        class: 'cell-button',
        title: 'Show the grading',
        data: { prediction: prediction.prediction_id },
        on: { click: () => void panel.open(prediction.prediction_id) },
      },
      verdictBadge(verdict),
      h('span', {
        class: verdict === 'failed' ? 'text error' : 'text',
        text: text === null || text === '' ? DASH : `${text}${cut}`,
      }),
    ),
  );
}
