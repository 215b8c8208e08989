import { existsSync, readdirSync, readFileSync } from 'node:fs';

/**
 * The live processes whose environment holds `name=value` (read from /proc, so Linux
 * only). Tests give the processes they start a unique QUEUE_PREFIX and use this to
 * prove that none is left behind, grandchildren included, whoever started them.
 */
export function processesWithEnvironment(name: string, value: string): number[] {
  if (!existsSync('/proc/self/environ')) {
    throw new Error('processesWithEnvironment reads /proc: it needs Linux');
  }
  const wanted = `${name}=${value}`;
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let environment: string;
    try {
      environment = readFileSync(`/proc/${entry}/environ`, 'latin1');
    } catch {
      continue; // exited meanwhile, or another user's process
    }
    // A zombie (exited, not yet reaped) has an empty environment: it is not running.
    if (environment.split('\0').includes(wanted)) pids.push(Number(entry));
  }
  return pids;
}

/** Whether a process with this id is running (signal 0 only checks). */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
