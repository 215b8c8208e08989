/**
 * A read of the API that follows live changes without flooding the API: `soon()` runs
 * `read` at most once per `gapMs` (a burst of changes is one read), `now()` runs it at
 * once, `cancel()` drops a pending one (the view closed).
 */
export function throttledRead(read, gapMs) {
  let timer = 0;
  let lastRead = 0;
  const now = () => {
    lastRead = Date.now();
    return read();
  };
  return {
    now,
    soon() {
      if (timer !== 0) return;
      timer = setTimeout(
        () => {
          timer = 0;
          void now();
        },
        Math.max(0, lastRead + gapMs - Date.now()),
      );
    },
    cancel() {
      clearTimeout(timer);
      timer = 0;
    },
  };
}

/** Calls `listener` when a job of the dataset changes in the job store; returns the unsubscribe. */
export function onDatasetJobs(store, datasetId, listener) {
  return store.subscribe(({ changed, removed }) => {
    for (const key of [...changed, ...removed]) {
      if (key.endsWith(`/${datasetId}`)) {
        listener();
        return;
      }
    }
  });
}
