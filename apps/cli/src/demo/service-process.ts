import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One pino log line of a service, parsed. */
export type LogRecord = Record<string, unknown> & { msg?: unknown; level?: unknown };

/** The `evalq` entry point the services run (`node main.js api|worker`). */
const EVALQ_MAIN = fileURLToPath(new URL('../main.js', import.meta.url));
const EXIT_WITH_PARENT = new URL('./exit-with-parent.js', import.meta.url).href;

/** Lines kept per service, shown when it fails. */
const KEPT_LINES = 15;

/**
 * A long-running evalq process (`evalq api`, `evalq worker`) started by the demo. It
 * runs in its own process group, so a Ctrl-C in the terminal reaches only the demo,
 * which then stops it with one SIGTERM (a second signal would make it exit at once).
 * Its output is kept, not shown, and summarised when something goes wrong.
 */
export class ServiceProcess {
  readonly exited: Promise<ExitStatus>;
  private readonly child: ChildProcess;
  private readonly recent: string[] = [];
  private readonly watchers = new Set<(record: LogRecord) => void>();
  private stopping: Promise<ExitStatus> | undefined;
  private exitedBeforeStop = false;
  private killedAfterTimeout = false;

  constructor(
    readonly name: string,
    command: string[],
    env: NodeJS.ProcessEnv,
  ) {
    this.child = spawn(process.execPath, ['--import', EXIT_WITH_PARENT, EVALQ_MAIN, ...command], {
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => resolve({ code, signal }));
      // Could not be started at all (e.g. node missing): report it as an exit.
      this.child.once('error', () => resolve({ code: null, signal: null }));
    });
    // Nothing is written to it; it only tells the child when the demo is gone.
    this.child.stdin!.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.keep(line));
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** True once stop() was called: an exit after that is expected. */
  get stopRequested(): boolean {
    return this.stopping !== undefined;
  }

  /**
   * Resolves at the first log record matching `predicate`; rejects when the process
   * exits first or nothing matches within `timeoutMs`.
   */
  waitForLog(predicate: (record: LogRecord) => boolean, timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const watcher = (record: LogRecord) => {
        if (!predicate(record)) return;
        settle();
        resolve();
      };
      const timer = setTimeout(() => {
        settle();
        reject(new Error(`${this.name} was not ready after ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const settle = () => {
        clearTimeout(timer);
        this.watchers.delete(watcher);
      };
      this.watchers.add(watcher);
      void this.exited.then((status) => {
        if (!this.watchers.has(watcher)) return;
        settle();
        reject(new Error(`${this.name} exited (${describeExit(status)}) before it was ready`));
      });
    });
  }

  /**
   * SIGTERM, then waits for the exit; after `timeoutMs` it is killed (SIGKILL). Safe
   * to call more than once: later calls wait for the same exit.
   */
  stop(timeoutMs: number): Promise<ExitStatus> {
    this.stopping ??= (async () => {
      this.exitedBeforeStop = !this.running;
      if (this.running) this.child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      const killed = new Promise<ExitStatus>((resolve) => {
        timer = setTimeout(() => {
          this.keep(`(did not stop within ${timeoutMs / 1000} s of SIGTERM: killed)`);
          this.killedAfterTimeout = true;
          this.child.kill('SIGKILL');
          void this.exited.then(resolve);
        }, timeoutMs);
      });
      try {
        return await Promise.race([this.exited, killed]);
      } finally {
        clearTimeout(timer);
      }
    })();
    return this.stopping;
  }

  /** True when it had exited already when stop() was called. */
  get exitedOnItsOwn(): boolean {
    return this.exitedBeforeStop;
  }

  /** True when it ignored SIGTERM for too long and was killed. */
  get killed(): boolean {
    return this.killedAfterTimeout;
  }

  /** Its last lines of output, compacted for a person (log records as "level: message"). */
  recentOutput(): string[] {
    return [...this.recent];
  }

  private onLine(line: string): void {
    let record: LogRecord | undefined;
    if (line.startsWith('{')) {
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        // not a log record after all
      }
    }
    if (!record) {
      this.keep(line);
      return;
    }
    this.keep(compact(record));
    for (const watcher of this.watchers) watcher(record);
  }

  private keep(line: string): void {
    this.recent.push(line.length > 400 ? `${line.slice(0, 399)}…` : line);
    if (this.recent.length > KEPT_LINES) this.recent.shift();
  }
}

export function describeExit(status: ExitStatus): string {
  return status.signal ? `signal ${status.signal}` : `exit code ${status.code}`;
}

function compact(record: LogRecord): string {
  const err = record.err as { message?: unknown } | undefined;
  const level = typeof record.level === 'string' ? record.level : JSON.stringify(record.level);
  const message = typeof record.msg === 'string' ? record.msg : JSON.stringify(record);
  return `${level}: ${message}${typeof err?.message === 'string' ? `: ${err.message}` : ''}`;
}
