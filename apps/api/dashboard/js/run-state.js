/** A run's aggregated progress in the shape a progress bar takes (progress-bar.js). */
export function runBarState(run) {
  const { total, done, failed, percent } = run.progress;
  return {
    total,
    succeeded: done - failed,
    failed,
    percent,
    status: run.status === 'completed' ? 'done' : run.status,
  };
}

/** The name a run goes by: its name, or the start of its id. */
export const runName = (run) => run.name ?? `run ${run.id.slice(0, 8)}`;

/** A run that can still change (and so can be cancelled). */
export const runIsOpen = (run) => run.status !== 'completed' && run.status !== 'canceled';
