import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@evalq/testing';
import { longestStopMs } from '@evalq/worker';
import { KUBERNETES_DIR, renderKustomization, type Manifest } from './support/kustomize.js';
import { schemaProblems } from './support/schema-check.js';

// deploy/kubernetes/ rendered the way `kubectl apply -k` renders it, each object checked
// against the Kubernetes and KEDA schemas, and the rules the manifests must keep
// (docs/operations.md, "Kubernetes") checked on what is rendered.

const OVERLAYS = ['overlays/dev', 'overlays/production'] as const;
const rendered = new Map<string, Manifest[]>();

beforeAll(async () => {
  for (const overlay of OVERLAYS) rendered.set(overlay, await renderKustomization(overlay));
});

const objects = (overlay: string): Manifest[] => rendered.get(overlay)!;
const find = (overlay: string, kind: string, name: string): any => {
  const found = objects(overlay).find((o) => o.kind === kind && o.metadata.name.startsWith(name));
  if (!found) throw new Error(`${overlay} renders no ${kind} ${name}`);
  return found;
};
const container = (workload: any, name: string): any =>
  workload.spec.template.spec.containers.find((c: { name: string }) => c.name === name);
const envValue = (c: any, name: string): string | undefined =>
  c.env?.find((e: { name: string }) => e.name === name)?.value;

/** Mebibytes of a Kubernetes memory quantity such as 384Mi or 1Gi. */
const mebibytes = (quantity: string): number => {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (!match) throw new Error(`unexpected memory quantity ${quantity}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
};

describe.each(OVERLAYS)('%s', (overlay) => {
  it('renders only objects that match their Kubernetes or KEDA schema, with no unknown field', () => {
    const problems = objects(overlay).flatMap((o) =>
      schemaProblems(o).map((p) => `${o.kind} ${o.metadata.name}: ${p}`),
    );
    expect(problems).toEqual([]);
    expect(objects(overlay).length).toBeGreaterThan(8);
  });

  it('has the API behind probes on /healthz and /readyz, with a bearer token from a Secret', () => {
    const api = container(find(overlay, 'Deployment', 'evalq-api'), 'api');
    expect(api.livenessProbe.httpGet.path).toBe('/healthz');
    expect(api.readinessProbe.httpGet.path).toBe('/readyz');
    expect(envValue(api, 'HOST')).toBe('0.0.0.0');
    expect(api.env.find((e: { name: string }) => e.name === 'API_TOKEN').valueFrom).toEqual({
      secretKeyRef: { name: 'evalq-api', key: 'API_TOKEN' },
    });
    const service = find(overlay, 'Service', 'evalq-api');
    expect(service.spec.selector).toEqual(
      find(overlay, 'Deployment', 'evalq-api').spec.selector.matchLabels,
    );
  });

  it('gives workers more time to stop than their shutdown grace, and a disruption budget', () => {
    const worker = find(overlay, 'Deployment', 'evalq-worker');
    const config = find(overlay, 'ConfigMap', 'evalq-config');
    const graceMs = Number(config.data.SHUTDOWN_GRACE_SECONDS) * 1000;
    expect(worker.spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      longestStopMs(graceMs),
    );
    const budget = find(overlay, 'PodDisruptionBudget', 'evalq-worker');
    expect(budget.spec.selector.matchLabels).toEqual(worker.spec.selector.matchLabels);
    expect(budget.spec.maxUnavailable).toBeDefined();
    const metrics = container(worker, 'worker').ports[0];
    expect(envValue(container(worker, 'worker'), 'METRICS_PORT')).toBe(
      String(metrics.containerPort),
    );
  });

  it("keeps the worker's memory limit above its V8 heap ceiling", () => {
    const worker = container(find(overlay, 'Deployment', 'evalq-worker'), 'worker');
    const heapMb = Number(/--max-old-space-size=(\d+)/.exec(envValue(worker, 'NODE_OPTIONS')!)![1]);
    // V8 stops at its ceiling with a clear out-of-memory error; the kernel's OOM kill at
    // the cgroup limit says nothing. Young generation, code and buffers need ~100 MiB more.
    expect(mebibytes(worker.resources.limits.memory)).toBeGreaterThanOrEqual(heapMb + 100);
    expect(mebibytes(worker.resources.requests.memory)).toBeLessThanOrEqual(
      mebibytes(worker.resources.limits.memory),
    );
    expect(worker.resources.requests.cpu).toBeDefined();
  });

  it('runs migrate once, as a Job that does not restart a finished migration', () => {
    const job = find(overlay, 'Job', 'evalq-migrate');
    expect(container(job, 'migrate').args).toEqual(['migrate']);
    expect(job.spec.template.spec.restartPolicy).toBe('Never');
  });

  it('points every reference at an object this overlay renders or the documented Secrets', async () => {
    const placeholders = (await renderKustomization('overlays/dev')).filter(
      (o) => o.kind === 'Secret',
    );
    const names = new Set(objects(overlay).map((o) => `${o.kind}/${o.metadata.name}`));
    const secretKeys = (name: string): string[] => {
      const secret: any = placeholders.find((s) => s.metadata.name === name);
      return secret ? Object.keys(secret.stringData ?? secret.data) : [];
    };
    const missing: string[] = [];
    const expectObject = (kind: string, name: string) => {
      if (!names.has(`${kind}/${name}`) && !(kind === 'Secret' && secretKeys(name).length > 0))
        missing.push(`${kind}/${name}`);
    };
    for (const o of objects(overlay) as any[]) {
      const pod = o.spec?.template?.spec;
      for (const c of pod?.containers ?? []) {
        for (const from of c.envFrom ?? []) {
          if (from.configMapRef) expectObject('ConfigMap', from.configMapRef.name);
          if (from.secretRef) expectObject('Secret', from.secretRef.name);
        }
        for (const e of c.env ?? []) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref && !secretKeys(ref.name).includes(ref.key))
            missing.push(`${ref.name}.${ref.key}`);
        }
      }
      for (const volume of pod?.volumes ?? []) {
        if (volume.configMap) expectObject('ConfigMap', volume.configMap.name);
        if (volume.secret) expectObject('Secret', volume.secret.secretName);
      }
      if (o.kind === 'ScaledObject') {
        expectObject('Deployment', o.spec.scaleTargetRef.name);
        for (const t of o.spec.triggers)
          expectObject('TriggerAuthentication', t.authenticationRef.name);
      }
      if (o.kind === 'TriggerAuthentication') {
        for (const ref of o.spec.secretTargetRef) {
          if (!secretKeys(ref.name).includes(ref.key)) missing.push(`${ref.name}.${ref.key}`);
        }
      }
      if (o.kind === 'Service' || o.kind === 'PodDisruptionBudget') {
        const selector = o.kind === 'Service' ? o.spec.selector : o.spec.selector.matchLabels;
        const selected = objects(overlay).filter((w: any) =>
          Object.entries(selector).every(([k, v]) => w.spec?.template?.metadata?.labels?.[k] === v),
        );
        if (selected.length === 0) missing.push(`pods for ${o.kind}/${o.metadata.name}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe('the schema check', () => {
  it('fails a misspelt field, a wrong type and an unknown kind, naming each', () => {
    const worker = structuredClone(find('overlays/production', 'Deployment', 'evalq-worker'));
    container(worker, 'worker').imagePulPolicy = 'Always';
    expect(schemaProblems(worker)).toEqual([
      '/spec/template/spec/containers/0/imagePulPolicy: not a field of apps/v1/Deployment',
    ]);

    const scaled = structuredClone(find('overlays/production', 'ScaledObject', 'evalq-worker'));
    scaled.spec.minReplicaCount = 'zero';
    expect(schemaProblems(scaled)).toEqual(['data/spec/minReplicaCount must be integer']);
    scaled.spec.minReplicaCount = 0;
    scaled.spec.pollingIntervall = 15;
    expect(schemaProblems(scaled)).toEqual([
      '/spec/pollingIntervall: not a field of keda.sh/v1alpha1/ScaledObject',
    ]);

    expect(schemaProblems({ ...scaled, kind: 'ScaledObjekt' })).toEqual([
      'keda.sh/v1alpha1/ScaledObjekt: no schema for this apiVersion and kind (a typo, or add it to MODELS)',
    ]);
  });
});

describe('overlays/production', () => {
  const overlay = 'overlays/production';

  it('renders no Secret, so applying it never overwrites a real key with a placeholder', () => {
    expect(objects(overlay).filter((o) => o.kind === 'Secret')).toEqual([]);
  });

  it('pins every image to a version', () => {
    const images = objects(overlay).flatMap((o: any) =>
      (o.spec?.template?.spec?.containers ?? []).map((c: { image: string }) => c.image),
    );
    expect(images.length).toBeGreaterThan(0);
    for (const image of images) expect(image).toMatch(/:[\w.-]+$/);
    expect(images.filter((image) => image.endsWith(':latest'))).toEqual([]);
  });

  it('scales workers with KEDA from zero, on a query KEDA runs against PostgreSQL itself', () => {
    const scaled = find(overlay, 'ScaledObject', 'evalq-worker');
    expect(scaled.spec.minReplicaCount).toBe(0);
    expect(scaled.spec.triggers.map((t: { type: string }) => t.type)).toEqual(['postgresql']);
    const auth = find(overlay, 'TriggerAuthentication', 'evalq-worker-autoscaling');
    expect(auth.spec.secretTargetRef).toEqual([
      { parameter: 'connection', name: 'evalq-connections', key: 'DATABASE_DIRECT_URL' },
    ]);
    // The HPA owns the replica count; a fixed one would fight it on every apply.
    expect(find(overlay, 'Deployment', 'evalq-worker').spec.replicas).toBeUndefined();
  });
});

describe('overlays/dev', () => {
  it('has placeholder or development values only, and no provider key', () => {
    const secrets = objects('overlays/dev').filter((o) => o.kind === 'Secret') as any[];
    expect(secrets.map((s) => s.metadata.name).sort()).toEqual([
      'evalq-api',
      'evalq-connections',
      'evalq-pgbouncer-auth',
      'evalq-provider-keys',
    ]);
    const keys = secrets.find((s) => s.metadata.name === 'evalq-provider-keys').stringData;
    expect(Object.values(keys)).toEqual(['']);
    for (const secret of secrets) {
      for (const value of Object.values<string>(secret.stringData)) {
        expect(value).not.toMatch(/sk-[A-Za-z0-9]{10,}/);
      }
    }
  });
});

describe('the PgBouncer configuration', () => {
  it('pools in transaction mode and caps the server connections at the pool', async () => {
    const ini = await readFile(`${KUBERNETES_DIR}components/pgbouncer/pgbouncer.ini`, 'utf8');
    const setting = (name: string) => new RegExp(`^${name}\\s*=\\s*(.*)$`, 'm').exec(ini)?.[1];
    expect(setting('pool_mode')).toBe('transaction');
    expect(setting('max_db_connections')).toBe(setting('default_pool_size'));
    expect(setting('reserve_pool_size')).toBe('0');
    // evalq sends only what PgBouncer tracks: nothing needs ignoring.
    expect(setting('ignore_startup_parameters')).toBeUndefined();
  });
});

describe("the autoscaler's query", () => {
  let t: TestDatabase;
  beforeAll(async () => {
    t = await createTestDatabase();
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('counts the rows still to do of running and pending jobs, from the job rows alone', async () => {
    const query = find('overlays/production', 'ScaledObject', 'evalq-worker').spec.triggers[0]
      .metadata.query as string;
    const [ids] = await t.query<{ dataset_id: number; model_id: number; prompt_ids: number[] }>(`
      WITH d AS (INSERT INTO datasets (name) VALUES ('keda') RETURNING dataset_id),
           r AS (INSERT INTO rows (dataset_id, content, expected_prediction)
                 SELECT dataset_id, 'q' || i, 'a' FROM d, generate_series(1, 10) AS i RETURNING 1),
           m AS (INSERT INTO models (name, source) VALUES ('m', 'mock') RETURNING model_id),
           p AS (INSERT INTO prompts (text) SELECT 'p' || i FROM generate_series(1, 3) AS i RETURNING prompt_id)
      SELECT d.dataset_id, m.model_id, array_agg(p.prompt_id ORDER BY p.prompt_id) AS prompt_ids
      FROM d, m, p GROUP BY d.dataset_id, m.model_id`);
    const { dataset_id, model_id, prompt_ids } = ids!;
    expect(Number((await t.query(query))[0]!.coalesce)).toBe(0);

    // Three jobs of 10 rows: untouched, 4 predictions stored, every prediction stored.
    const stored = [0, 4, 10];
    for (const [i, prompt_id] of prompt_ids.entries()) {
      await t.query(
        `INSERT INTO modelpromptstatus (model_id, prompt_id, dataset_id, status) VALUES ($1, $2, $3, 'pending')`,
        [model_id, prompt_id, dataset_id],
      );
      await t.query(
        `INSERT INTO predictions (row_id, model_id, prompt_id, dataset_id, prediction, prediction_time, status)
         SELECT row_id, $1, $2, $3, 'a', 0.1, 'success' FROM rows WHERE dataset_id = $3 ORDER BY row_id LIMIT $4`,
        [model_id, prompt_id, dataset_id, stored[i]],
      );
    }
    const toDo = stored.reduce((sum, n) => sum + (10 - n), 0);
    expect(toDo).toBe(16);
    expect(Number((await t.query(query))[0]!.coalesce)).toBe(toDo);

    const [plan] = await t.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${query}`);
    const relations = [...JSON.stringify(plan).matchAll(/"Relation Name":"(\w+)"/g)].map(
      (m) => m[1],
    );
    expect(new Set(relations)).toEqual(new Set(['modelpromptstatus']));
  });
});
