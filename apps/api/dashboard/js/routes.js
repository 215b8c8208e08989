/**
 * The page's views live in the URL's fragment, so links, reloads and the back button
 * work without any server route:
 *
 *   #/                                         every run (the top level)
 *   #/runs/:id                                 a run: its jobs, live, and its summary
 *   #/jobs                                     every job
 *   #/jobs/:model/:prompt/:dataset             a job's rows (?status=failed|wrong|right|ungraded|success)
 *   #/datasets/:id                             a dataset's leaderboard
 *   #/datasets/:id/compare?a=m/p&b=m/p         two candidates compared (&only=a|b: whose rows)
 *   #/datasets/:id/grid                        rows × candidates (?candidates=m/p,m/p)
 *   #/datasets/:id/classification?candidate=m/p  per-label metrics and confusion matrix
 *   #/prompts                                  prompt names
 *   #/prompts/:name                            a name's versions (?a=1&b=2 diffs two)
 */

/** Which rows of a job: the tab, and the /v1/predictions filter it stands for. */
export const ROW_FILTERS = {
  failed: { text: 'Failed calls', query: { status: 'failed' } },
  wrong: { text: 'Wrong answers', query: { passed: 'false' } },
  right: { text: 'Right answers', query: { passed: 'true' } },
  ungraded: { text: 'Ungraded', query: { passed: 'null' } },
  success: { text: 'Succeeded', query: { status: 'success' } },
  all: { text: 'All', query: {} },
};

const withQuery = (path, params) => {
  const query = new URLSearchParams(
    Object.entries(params).filter(([, value]) => value !== undefined && value !== null),
  ).toString();
  return query === '' ? path : `${path}?${query.replaceAll('%2F', '/').replaceAll('%2C', ',')}`;
};

/** "3/7": a candidate (model × prompt) as routes and the API write it. */
export const candidateKey = (c) => `${c.model_id}/${c.prompt_id}`;

export const runsHash = () => '#/';
export const runHash = (id) => `#/runs/${id}`;
export const jobsHash = () => '#/jobs';
export const jobRowsHash = (job, status = 'all') =>
  withQuery(`#/jobs/${job.model_id}/${job.prompt_id}/${job.dataset_id}`, {
    status: status === 'all' ? undefined : status,
  });
export const leaderboardHash = (datasetId) => `#/datasets/${datasetId}`;
export const compareHash = (datasetId, a, b, only) =>
  withQuery(`#/datasets/${datasetId}/compare`, {
    a: a && candidateKey(a),
    b: b && candidateKey(b),
    only: only ?? undefined,
  });
export const gridHash = (datasetId, candidates) =>
  withQuery(`#/datasets/${datasetId}/grid`, {
    candidates: candidates && candidates.map(candidateKey).join(','),
  });
export const classificationHash = (datasetId, candidate) =>
  withQuery(`#/datasets/${datasetId}/classification`, {
    candidate: candidate && candidateKey(candidate),
  });
export const promptsHash = () => '#/prompts';
export const promptVersionsHash = (name, a, b) =>
  withQuery(`#/prompts/${encodeURIComponent(name)}`, { a, b });

const ID = '([1-9][0-9]{0,9})';
const CANDIDATE = /^([1-9][0-9]{0,9})\/([1-9][0-9]{0,9})$/;
const UUID = '([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})';
const PATTERNS = [
  [new RegExp(`^/runs/${UUID}$`), (m) => ({ view: 'run', runId: m[1] })],
  [/^\/jobs$/, () => ({ view: 'jobs' })],
  [
    new RegExp(`^/jobs/${ID}/${ID}/${ID}$`),
    (m, q) => ({
      view: 'job-rows',
      job: { model_id: Number(m[1]), prompt_id: Number(m[2]), dataset_id: Number(m[3]) },
      status: Object.hasOwn(ROW_FILTERS, q.get('status') ?? '') ? q.get('status') : 'all',
    }),
  ],
  [new RegExp(`^/datasets/${ID}$`), (m) => ({ view: 'leaderboard', datasetId: Number(m[1]) })],
  [
    new RegExp(`^/datasets/${ID}/compare$`),
    (m, q) => ({
      view: 'compare',
      datasetId: Number(m[1]),
      a: parseCandidate(q.get('a')),
      b: parseCandidate(q.get('b')),
      only: ['a', 'b'].includes(q.get('only')) ? q.get('only') : null,
    }),
  ],
  [
    new RegExp(`^/datasets/${ID}/grid$`),
    (m, q) => ({
      view: 'grid',
      datasetId: Number(m[1]),
      candidates: q.has('candidates')
        ? (q.get('candidates') ?? '').split(',').map(parseCandidate).filter(Boolean)
        : null,
    }),
  ],
  [
    new RegExp(`^/datasets/${ID}/classification$`),
    (m, q) => ({
      view: 'classification',
      datasetId: Number(m[1]),
      candidate: parseCandidate(q.get('candidate')),
    }),
  ],
  [/^\/prompts$/, () => ({ view: 'prompts' })],
  [
    /^\/prompts\/([A-Za-z0-9._%-]{1,400})$/,
    (m, q) => ({
      view: 'prompt-versions',
      name: safeDecode(m[1]),
      a: versionParam(q.get('a')),
      b: versionParam(q.get('b')),
    }),
  ],
];

function parseCandidate(text) {
  const match = CANDIDATE.exec(text ?? '');
  return match ? { model_id: Number(match[1]), prompt_id: Number(match[2]) } : null;
}

function versionParam(text) {
  return /^[1-9][0-9]{0,9}$/.test(text ?? '') ? Number(text) : null;
}

function safeDecode(text) {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The view a fragment names; anything unknown is the run list. */
export function parseRoute(hash) {
  const [path, query = ''] = hash.replace(/^#/, '').split('?', 2);
  const params = new URLSearchParams(query);
  for (const [pattern, build] of PATTERNS) {
    const match = pattern.exec(path);
    if (match) return build(match, params);
  }
  return { view: 'runs' };
}
