import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWorkerMetrics } from '@evalq/worker';
import { startTestApi, type TestApi } from './support/test-api.js';

// The example Grafana dashboard (deploy/grafana/dashboards/evalq.json) must only chart
// metrics that evalq really exports; a renamed metric would otherwise leave an empty
// panel that nobody notices until an incident.

const DASHBOARD = new URL('../../../deploy/grafana/dashboards/evalq.json', import.meta.url);

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(async () => {
  await api?.close();
});

interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

describe('deploy/grafana/dashboards/evalq.json', () => {
  it('queries only metrics that the API and the workers export', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const queried = new Set<string>();
    for (const panel of dashboard.panels) {
      for (const target of panel.targets ?? []) {
        for (const name of target.expr.match(/evalq_[a-z_]+/g) ?? []) queried.add(name);
      }
    }
    expect(queried.size).toBeGreaterThan(10);

    const apiText = (await api.get('/metrics')).text;
    const workerText = await createWorkerMetrics().registry.metrics();
    const exported = new Set(
      `${apiText}\n${workerText}`
        .split('\n')
        .filter((line) => line.startsWith('# TYPE '))
        .map((line) => line.split(' ')[2]!),
    );
    // Histograms are exported as <name> and queried as <name>_bucket.
    const missing = [...queried].filter((name) => !exported.has(name.replace(/_bucket$/, '')));
    expect(missing).toEqual([]);
  });

  it('gives every chart a title and at least one query', async () => {
    const dashboard = JSON.parse(await readFile(DASHBOARD, 'utf8')) as { panels: Panel[] };
    const charts = dashboard.panels.filter((panel) => panel.type !== 'row');
    expect(charts.length).toBeGreaterThan(8);
    for (const chart of charts) {
      expect(chart.title.length, JSON.stringify(chart)).toBeGreaterThan(0);
      expect(chart.targets?.length, chart.title).toBeGreaterThan(0);
    }
  });
});
