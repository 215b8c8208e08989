import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createWorkerMetrics } from '@evalq/worker';
import { processRows } from './support/claim-protocol.js';
import { readQuery, TARGET_LABELS } from './support/promql.js';
import { seedCatalog, startTestApi, type TestApi } from './support/test-api.js';
import { requireRedis } from '@evalq/testing';

// Every test here goes through Redis (skipped with the reason where none answers).
requireRedis();

// The Grafana dashboard of `docker compose --profile monitoring`
// (deploy/grafana/dashboards/evalq.json, docs/operations.md) must load in Grafana and
// chart series that evalq really exports, with the labels they really carry: a renamed
// metric or label would otherwise leave an empty panel that nobody notices until an
// incident.

const deploy = (path: string) => new URL(`../../../deploy/${path}`, import.meta.url);

/** The panel plugins built into Grafana (public/app/features/plugins/built_in_plugins.ts in Grafana's repository), and `row`. */
const GRAFANA_PANEL_TYPES = new Set([
  'row',
  'text',
  'timeseries',
  'trend',
  'state-timeline',
  'status-history',
  'candlestick',
  'xychart',
  'geomap',
  'dashlist',
  'alertlist',
  'annolist',
  'heatmap',
  'table',
  'news',
  'live',
  'stat',
  'debug',
  'flamegraph',
  'gettingstarted',
  'gauge',
  'piechart',
  'bargauge',
  'barchart',
  'logs',
  'traces',
  'welcome',
  'nodeGraph',
  'histogram',
  'canvas',
]);

/** Grafana's dashboard grid is 24 columns wide. */
const GRID_COLUMNS = 24;

interface DataSourceRef {
  type?: string;
  uid?: string;
}
interface Panel {
  id: number;
  type: string;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: DataSourceRef;
  targets?: { expr: string; legendFormat?: string; datasource?: DataSourceRef }[];
}

let api: TestApi;
let panels: Panel[];
let charts: Panel[];
beforeAll(async () => {
  api = await startTestApi();
  panels = (
    JSON.parse(await readFile(deploy('grafana/dashboards/evalq.json'), 'utf8')) as {
      panels: Panel[];
    }
  ).panels;
  charts = panels.filter((panel) => panel.type !== 'row');
});
afterAll(async () => {
  await api?.close();
});

/** Series name → the label names its samples carry, from Prometheus text exposition. */
function seriesLabels(exposition: string): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const line of exposition.split('\n')) {
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const labels = series.get(sample[1]!) ?? new Set<string>();
    for (const [, label] of (sample[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="/g)) {
      labels.add(label!);
    }
    series.set(sample[1]!, labels);
  }
  return series;
}

/**
 * The series a worker exports and their labels. A fresh worker registry has no samples
 * for its labelled counters yet, so the labels come from each metric's declared
 * `labelNames` (prom-client keeps them on the metric object); a histogram's buckets add `le`.
 */
function workerSeriesLabels(): Map<string, Set<string>> {
  const series = new Map<string, Set<string>>();
  for (const metric of createWorkerMetrics().registry.getMetricsAsArray()) {
    const {
      name,
      type,
      labelNames = [],
    } = metric as unknown as {
      name: string;
      type: string;
      labelNames?: readonly string[];
    };
    if (type === 'histogram') {
      series.set(`${name}_bucket`, new Set([...labelNames, 'le']));
      series.set(`${name}_sum`, new Set(labelNames));
      series.set(`${name}_count`, new Set(labelNames));
    } else {
      series.set(name, new Set(labelNames));
    }
  }
  return series;
}

describe('deploy/grafana/dashboards/evalq.json', () => {
  it('is a dashboard Grafana lays out: known panel types, unique ids, no two panels on the same cells', () => {
    expect(charts.length).toBeGreaterThan(0);
    const ids = panels.map((panel) => panel.id);
    expect(new Set(ids).size, `ids ${ids.join(', ')}`).toBe(panels.length);
    const taken = new Map<string, string>();
    for (const panel of panels) {
      expect(GRAFANA_PANEL_TYPES, panel.title).toContain(panel.type);
      expect(panel.title.length, JSON.stringify(panel)).toBeGreaterThan(0);
      const { x, y, w, h } = panel.gridPos;
      expect(Number.isInteger(x) && x >= 0 && w >= 1 && x + w <= GRID_COLUMNS, panel.title).toBe(
        true,
      );
      expect(Number.isInteger(y) && y >= 0 && h >= 1, panel.title).toBe(true);
      for (let row = y; row < y + h; row += 1) {
        for (let column = x; column < x + w; column += 1) {
          const cell = `${column},${row}`;
          expect(taken.get(cell), `${panel.title} overlaps at ${cell}`).toBeUndefined();
          taken.set(cell, panel.title);
        }
      }
    }
  });

  it('reads every chart from the Prometheus data source that Grafana is provisioned with', async () => {
    const provisioned = parseYaml(
      await readFile(deploy('grafana/provisioning/datasources/prometheus.yml'), 'utf8'),
    ) as { datasources: { uid: string; type: string }[] };
    const prometheus = provisioned.datasources.find((source) => source.type === 'prometheus');
    expect(prometheus?.uid).toBeTruthy();
    for (const chart of charts) {
      expect(chart.datasource, chart.title).toEqual({ type: 'prometheus', uid: prometheus!.uid });
      expect(chart.targets?.length, chart.title).toBeGreaterThan(0);
      for (const target of chart.targets ?? []) {
        expect(target.datasource ?? chart.datasource, chart.title).toEqual(chart.datasource);
      }
    }
  });

  it('queries series the API and the workers export, by labels they carry', async () => {
    // A running job with stored predictions and one request behind it, so that every
    // series of the API's /metrics has samples with its labels.
    const { dataset_id, model_id, prompt_id } = await seedCatalog(api, 4);
    await api.post('/v1/jobs', { dataset_id, model_ids: [model_id], prompt_ids: [prompt_id] });
    await processRows(api.t, { model_id, prompt_id, dataset_id }, 1);
    const exported = new Map([
      ...seriesLabels((await api.get('/metrics')).text),
      ...workerSeriesLabels(),
    ]);
    const labelsOf = (series: string): ReadonlySet<string> => exported.get(series) ?? new Set();

    const problems: string[] = [];
    for (const chart of charts) {
      for (const { expr, legendFormat = '' } of chart.targets ?? []) {
        const query = readQuery(expr);
        const where = `${chart.title}: ${expr}`;
        if (query.syntaxErrors.length > 0) problems.push(`${where}: not PromQL`);
        if (query.series.length === 0) problems.push(`${where}: selects no series`);
        for (const series of query.series) {
          if (!exported.has(series)) problems.push(`${where}: no series ${series}`);
        }
        for (const { label, series } of query.labels) {
          for (const name of series) {
            const known = labelsOf(name).has(label) || TARGET_LABELS.some((t) => t === label);
            if (!known) problems.push(`${where}: ${name} has no label ${label}`);
          }
        }
        const shown = query.resultLabels(labelsOf);
        for (const [, label] of legendFormat.matchAll(/\{\{\s*([a-zA-Z_]\w*)\s*\}\}/g)) {
          if (!shown.has(label!))
            problems.push(`${where}: legend shows ${label}, not in the result`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});
