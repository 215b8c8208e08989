/**
 * The page's views live in the URL's fragment, so links, reloads and the back button
 * work without any server route:
 *
 *   #/                               every job
 *   #/datasets/:id                   a dataset's leaderboard
 *   #/jobs/:model/:prompt/:dataset   a job's rows (?status=failed|success; all by default)
 */

export const ROW_FILTERS = ['failed', 'success', 'all'];

export const jobsHash = () => '#/';

export const leaderboardHash = (datasetId) => `#/datasets/${datasetId}`;

export const jobRowsHash = (job, status = 'all') =>
  `#/jobs/${job.model_id}/${job.prompt_id}/${job.dataset_id}${status === 'all' ? '' : `?status=${status}`}`;

const ID = '([1-9][0-9]{0,9})';
const LEADERBOARD = new RegExp(`^#/datasets/${ID}$`);
const JOB_ROWS = new RegExp(`^#/jobs/${ID}/${ID}/${ID}(?:\\?status=(failed|success|all))?$`);

/** The view a fragment names; anything unknown is the jobs view. */
export function parseRoute(hash) {
  const leaderboard = LEADERBOARD.exec(hash);
  if (leaderboard) return { view: 'leaderboard', datasetId: Number(leaderboard[1]) };
  const rows = JOB_ROWS.exec(hash);
  if (rows) {
    return {
      view: 'job-rows',
      job: { model_id: Number(rows[1]), prompt_id: Number(rows[2]), dataset_id: Number(rows[3]) },
      status: rows[4] ?? 'all',
    };
  }
  return { view: 'jobs' };
}
