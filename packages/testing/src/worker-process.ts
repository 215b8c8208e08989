import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';

/** The built worker entry point (the global setup builds dist/ before any test runs). */
export const WORKER_MAIN = fileURLToPath(
  new URL('../../../apps/worker/dist/main.js', import.meta.url),
);

/** One JSON log record a worker wrote (pino: level, msg, workerId, …). */
export type LogRecord = Record<string, unknown> & { msg?: string; level?: string };

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcess {
  readonly label: string;
  readonly pid: number;
  /** Every JSON log line so far, parsed, in order. */
  readonly logs: LogRecord[];
  /** Everything written that was not a JSON log line (stderr, stray output). */
  readonly output: string[];
  /** Settles when the process exits. */
  readonly exited: Promise<ExitStatus>;
  /** Resolves with the first log record matching `predicate` (past or future). */
  waitForLog(predicate: (record: LogRecord) => boolean, timeoutMs?: number): Promise<LogRecord>;
  /** Sends `signal` (SIGTERM by default) and waits for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<ExitStatus>;
  /** SIGKILL: no shutdown, no cleanup, as when a container is killed. */
  kill(): Promise<ExitStatus>;
  /** SIGSTOP / SIGCONT: a frozen process (a "zombie" that later wakes up). */
  pause(): void;
  resume(): void;
  /** The logs and output, for a failing test's message. */
  describe(): string;
}

export interface StartWorkerOptions {
  /** Environment on top of PATH/HOME (DATABASE_URL, REDIS_URL, QUEUE_PREFIX, …). */
  env: Record<string, string | undefined>;
  label?: string;
  /** How long to wait for the ready log line. */
  readyTimeoutMs?: number;
  /** The log line that says the process is ready; the worker's `worker ready` by default. */
  ready?: (record: LogRecord) => boolean;
  /** The script to run; the worker's dist/main.js by default. */
  script?: string;
  args?: string[];
}

/**
 * Starts a worker as a real child process (`node apps/worker/dist/main.js`; any evalq
 * process with `script`, `args` and `ready`) and waits until it logs that it is ready.
 * Its stdout is parsed as JSON log lines.
 */
export async function startWorkerProcess(options: StartWorkerOptions): Promise<WorkerProcess> {
  const label = options.label ?? 'worker';
  const child: ChildProcess = spawn(
    process.execPath,
    [options.script ?? WORKER_MAIN, ...(options.args ?? [])],
    {
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const logs: LogRecord[] = [];
  const output: string[] = [];
  const waiters = new Set<{
    predicate: (r: LogRecord) => boolean;
    resolve: (r: LogRecord) => void;
  }>();

  const onLine = (line: string): void => {
    if (line.startsWith('{')) {
      try {
        const record = JSON.parse(line) as LogRecord;
        logs.push(record);
        for (const waiter of waiters) {
          if (waiter.predicate(record)) {
            waiters.delete(waiter);
            waiter.resolve(record);
          }
        }
        return;
      } catch {
        // not JSON after all
      }
    }
    output.push(line);
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', (line) => output.push(line));

  const exited = new Promise<ExitStatus>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });

  const describe = (): string =>
    `${label} (pid ${child.pid}):\n` +
    [...logs.slice(-40).map((r) => JSON.stringify(r)), ...output.slice(-40)].join('\n');

  const waitForLog = (
    predicate: (r: LogRecord) => boolean,
    timeoutMs = 20_000,
  ): Promise<LogRecord> => {
    const found = logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise<LogRecord>((resolve, reject) => {
      const waiter = { predicate, resolve: (r: LogRecord) => (clearTimeout(timer), resolve(r)) };
      const timer = setTimeout(() => {
        waiters.delete(waiter);
        reject(
          new Error(`timed out after ${timeoutMs} ms waiting for a log line of ${describe()}`),
        );
      }, timeoutMs);
      waiters.add(waiter);
      void exited.then((status) => {
        if (!waiters.has(waiter)) return;
        waiters.delete(waiter);
        clearTimeout(timer);
        reject(
          new Error(
            `${label} exited (${JSON.stringify(status)}) before the log line; ${describe()}`,
          ),
        );
      });
    });
  };

  const stop = async (
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 30_000,
  ): Promise<ExitStatus> => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(
          new Error(`${label} did not exit within ${timeoutMs} ms of ${signal}; ${describe()}`),
        );
      }, timeoutMs);
    });
    try {
      return await Promise.race([exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  };

  const worker: WorkerProcess = {
    label,
    pid: child.pid ?? -1,
    logs,
    output,
    exited,
    waitForLog,
    stop,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      return exited;
    },
    pause: () => void child.kill('SIGSTOP'),
    resume: () => void child.kill('SIGCONT'),
    describe,
  };

  try {
    await waitForLog(
      options.ready ?? ((r) => r.msg === 'worker ready'),
      options.readyTimeoutMs ?? 20_000,
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return worker;
}

/** Kills whatever is still running (for afterAll), without waiting for a clean stop. */
export async function killAll(workers: Iterable<WorkerProcess | undefined>): Promise<void> {
  const running = [...workers].filter((worker): worker is WorkerProcess => worker !== undefined);
  await Promise.all(running.map((worker) => worker.kill()));
}
