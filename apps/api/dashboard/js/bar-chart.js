import { svg } from './dom.js';
import { DASH, oneLine } from './format.js';

const ROW_HEIGHT = 26;
const LABEL_WIDTH = 300;
const BAR_WIDTH = 440;
const VALUE_WIDTH = 80;
const AXIS_HEIGHT = 22;
const TICKS = [0, 0.25, 0.5, 0.75, 1];

/**
 * A horizontal bar chart of values in [0, 1] (pass rates), drawn as SVG with DOM APIs:
 * labels are text nodes, so names from the API stay text. `bars`: [{ label, title,
 * value (null: no value), valueText, interval? ([lo, hi]: drawn as a whisker) }]. The
 * SVG scales to its container's width.
 */
export function createBarChart({ title, bars }) {
  const height = bars.length * ROW_HEIGHT + AXIS_HEIGHT;
  const width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH;
  const chart = svg('svg', {
    class: 'bar-chart',
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': title,
    preserveAspectRatio: 'xMinYMin meet',
  });
  chart.append(svg('title', { text: title }));

  const grid = svg('g', { class: 'grid' });
  for (const tick of TICKS) {
    const x = LABEL_WIDTH + tick * BAR_WIDTH;
    grid.append(
      svg('line', { x1: x, x2: x, y1: 0, y2: height - AXIS_HEIGHT + 4 }),
      svg('text', {
        x,
        y: height - 6,
        'text-anchor': 'middle',
        text: `${tick * 100} %`,
      }),
    );
  }
  chart.append(grid);

  bars.forEach((bar, index) => {
    const y = index * ROW_HEIGHT;
    const value = bar.value === null ? 0 : Math.min(Math.max(bar.value, 0), 1);
    const [lo, hi] = (bar.interval ?? [value, value]).map((v) => Math.min(Math.max(v, 0), 1));
    const middle = y + ROW_HEIGHT / 2;
    chart.append(
      svg(
        'g',
        { class: 'bar-row', data: { label: bar.label } },
        svg('title', { text: bar.title }),
        svg('text', {
          class: 'bar-label',
          x: LABEL_WIDTH - 8,
          y: y + ROW_HEIGHT / 2,
          'text-anchor': 'end',
          'dominant-baseline': 'central',
          text: oneLine(bar.label, 42),
        }),
        svg('rect', {
          class: bar.value === null ? 'bar-fill empty' : 'bar-fill',
          x: LABEL_WIDTH,
          y: y + 4,
          width: Math.max(value * BAR_WIDTH, bar.value === null ? 0 : 1),
          height: ROW_HEIGHT - 8,
          rx: 3,
        }),
        bar.interval
          ? svg(
              'g',
              { class: 'whisker' },
              svg('line', {
                x1: LABEL_WIDTH + lo * BAR_WIDTH,
                x2: LABEL_WIDTH + hi * BAR_WIDTH,
                y1: middle,
                y2: middle,
              }),
              ...[lo, hi].map((end) =>
                svg('line', {
                  x1: LABEL_WIDTH + end * BAR_WIDTH,
                  x2: LABEL_WIDTH + end * BAR_WIDTH,
                  y1: middle - 5,
                  y2: middle + 5,
                }),
              ),
            )
          : null,
        svg('text', {
          class: 'bar-value',
          x: LABEL_WIDTH + Math.max(value, hi) * BAR_WIDTH + 6,
          y: y + ROW_HEIGHT / 2,
          'dominant-baseline': 'central',
          text: bar.value === null ? DASH : bar.valueText,
        }),
      ),
    );
  });
  return chart;
}
