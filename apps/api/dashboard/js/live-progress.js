import { readEventStream } from './event-stream.js';
import { jobKey } from './job-store.js';

/**
 * Keeps the job store current. It reads the whole job list (every page), then follows
 * GET /v1/events, streamed with fetch so the token travels in a header. When the event
 * stream cannot be had (a proxy that refuses or buffers it, an error), it polls the list
 * instead, with ETags, so an unchanged list costs a 304 per page; every half minute it
 * tries the stream again.
 *
 * `onMode(mode, detail)`: 'connecting' | 'live' | 'polling' | 'offline'.
 */

const JOBS_PATH = '/v1/jobs?limit=5000';
const EVENTS_PATH = '/v1/events';
/** The API writes a comment as soon as a stream opens; silence means a buffering proxy. */
const FIRST_BYTES_TIMEOUT_MS = 10_000;
/** The API sends a heartbeat every 15 s; this long without one means a dead connection. */
const SILENCE_TIMEOUT_MS = 45_000;
const POLL_INTERVAL_MS = 2_000;
const STREAM_RETRY_WHILE_POLLING_MS = 30_000;
const OFFLINE_RETRY_MS = 3_000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

export function startLiveProgress({ api, store, onMode }) {
  let reconnectMs = 2_000;
  let mode = '';
  const setMode = (next, detail) => {
    if (next === mode && detail === undefined) return;
    mode = next;
    onMode(next, detail);
  };

  /**
   * Reads every page of the job list; false when the API could not be read. `quiet`:
   * the stream is open, so a failed read says nothing about the connection.
   */
  async function reload({ quiet = false } = {}) {
    try {
      const { items, changed } = await api.getAllPages(JOBS_PATH, { revalidate: true });
      if (changed || !store.loaded) store.replaceAll(items);
      return true;
    } catch (error) {
      if (!quiet) setMode('offline', error instanceof Error ? error.message : String(error));
      return false;
    }
  }

  /** Follows the event stream until it ends: 'ended' if it was ever open, else 'unavailable'. */
  async function followEvents() {
    const controller = new AbortController();
    let timer = 0;
    const expectBytesWithin = (ms) => {
      clearTimeout(timer);
      timer = setTimeout(() => controller.abort(new Error('the event stream went silent')), ms);
    };
    let open = false;
    try {
      expectBytesWithin(FIRST_BYTES_TIMEOUT_MS);
      const response = await api.openEventStream(EVENTS_PATH, controller.signal);
      await readEventStream(response.body, {
        onBytes() {
          expectBytesWithin(SILENCE_TIMEOUT_MS);
          if (open) return;
          open = true;
          setMode('live');
          // Changes from here on arrive as events; one more (revalidated) read of the
          // list catches whatever changed before the stream opened.
          void reload({ quiet: true });
        },
        onRetry(ms) {
          reconnectMs = Math.min(Math.max(ms, 500), 60_000);
        },
        onEvent(event) {
          if (event.type === 'progress') store.upsert(JSON.parse(event.data));
          else if (event.type === 'removed') store.remove(jobKey(JSON.parse(event.data)));
        },
      });
    } catch {
      // Aborted, refused or broken: what happens next depends only on whether it opened.
    } finally {
      clearTimeout(timer);
      controller.abort();
    }
    return open ? 'ended' : 'unavailable';
  }

  async function run() {
    setMode('connecting');
    for (;;) {
      if (!(await reload())) {
        await sleep(OFFLINE_RETRY_MS);
        continue;
      }
      const outcome = await followEvents();
      if (outcome === 'ended') {
        setMode('connecting');
        await sleep(reconnectMs);
        continue;
      }
      setMode('polling');
      const retryStreamAt = Date.now() + STREAM_RETRY_WHILE_POLLING_MS;
      while (Date.now() < retryStreamAt) {
        await sleep(POLL_INTERVAL_MS);
        if (await reload()) setMode('polling');
      }
    }
  }

  void run();
}
