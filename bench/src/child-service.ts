import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { processCpuSeconds } from './cpu-time.js';

/** One line a child printed; JSON lines (pino logs, results) parsed. */
export type ChildLine = Record<string, unknown>;

const KEPT_LINES = 30;

/**
 * A process the benchmark runs (fake server, API, worker, client loop): started with
 * `node <script>`, its JSON output lines watched, its peak RSS read from the kernel
 * (VmHWM in /proc/<pid>/status: the high-water mark, so no sample is ever missed).
 */
export class ChildService {
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private readonly recent: string[] = [];
  private readonly watchers = new Set<(line: ChildLine) => void>();

  constructor(
    readonly name: string,
    script: string,
    options: { args?: string[]; env?: Record<string, string | undefined>; nodeArgs?: string[] },
  ) {
    this.child = spawn(
      process.execPath,
      [...(options.nodeArgs ?? []), script, ...(options.args ?? [])],
      {
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.onLine(line));
    createInterface({ input: this.child.stderr! }).on('line', (line) => this.keep(line));
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  /** Resolves with the first JSON line matching `predicate` printed from now on. */
  waitForLine(predicate: (line: ChildLine) => boolean, timeoutMs = 30_000): Promise<ChildLine> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.watchers.delete(watch);
        reject(new Error(`${this.name}: no expected output after ${timeoutMs} ms\n${this.tail()}`));
      }, timeoutMs);
      const watch = (line: ChildLine) => {
        if (!predicate(line)) return;
        clearTimeout(timer);
        this.watchers.delete(watch);
        resolve(line);
      };
      this.watchers.add(watch);
      void this.exited.then((code) => {
        if (!this.watchers.has(watch)) return;
        clearTimeout(timer);
        this.watchers.delete(watch);
        reject(new Error(`${this.name} exited (code ${code})\n${this.tail()}`));
      });
    });
  }

  /** Peak resident set size so far, in MB (Linux). */
  peakRssMb(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const kb = /VmHWM:\s+(\d+) kB/.exec(status)?.[1];
    if (kb === undefined) throw new Error(`${this.name}: no VmHWM in /proc/${this.pid}/status`);
    return Number(kb) / 1024;
  }

  /** CPU seconds it has used so far. */
  cpuSeconds(): number {
    return processCpuSeconds(this.pid);
  }

  /** SIGKILL now, without waiting (the benchmark itself is exiting). */
  killNow(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }

  /** SIGTERM, then SIGKILL if it has not exited after `timeoutMs`. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const exited = await Promise.race([this.exited.then(() => true), sleep(timeoutMs, false)]);
    if (!exited) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  tail(): string {
    return this.recent.join('\n');
  }

  private onLine(line: string): void {
    this.keep(line);
    if (!line.startsWith('{')) return;
    let parsed: ChildLine;
    try {
      parsed = JSON.parse(line) as ChildLine;
    } catch {
      return;
    }
    for (const watch of [...this.watchers]) watch(parsed);
  }

  private keep(line: string): void {
    this.recent.push(line);
    if (this.recent.length > KEPT_LINES) this.recent.shift();
  }
}
