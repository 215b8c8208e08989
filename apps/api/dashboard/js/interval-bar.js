import { svg } from './dom.js';

const WIDTH = 120;
const HEIGHT = 14;

/**
 * A value and its 95% interval drawn on a track from `min` to `max` (0–1 for a rate;
 * −1–1 for a score difference, with a mark at 0): the interval as a bar, the value as a
 * tick inside it. No text nodes (the numbers are beside it as text); `label` is its
 * aria-label for assistive technology.
 */
export function intervalBar(value, interval, { label, min = 0, max = 1, width = WIDTH } = {}) {
  const x = (v) => ((Math.min(Math.max(v, min), max) - min) / (max - min)) * width;
  const chart = svg('svg', {
    class: 'interval-bar',
    viewBox: `0 0 ${width} ${HEIGHT}`,
    role: 'img',
    'aria-label': label,
  });
  chart.append(svg('rect', { class: 'track', x: 0, y: 6, width, height: 2, rx: 1 }));
  if (min < 0 && max > 0) {
    chart.append(svg('rect', { class: 'zero', x: x(0) - 0.5, y: 0, width: 1, height: HEIGHT }));
  }
  if (interval) {
    const [lo, hi] = interval.map(x);
    chart.append(
      svg('rect', {
        class: 'interval',
        x: lo,
        y: 3,
        width: Math.max(hi - lo, 1),
        height: 8,
        rx: 2,
      }),
    );
  }
  if (value !== null && value !== undefined) {
    chart.append(svg('rect', { class: 'point', x: x(value) - 1, y: 0, width: 2, height: HEIGHT }));
  }
  return chart;
}
