import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The built `evalq` command (the global setup builds dist/ before any test runs). */
const CLI = fileURLToPath(new URL('../../dist/main.js', import.meta.url));

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `evalq <args>` as a child process with only PATH and `env` in its environment,
 * as an operator's shell would; settles with its exit code and output. Killed (and the
 * promise rejected with its output) after `timeoutMs`.
 */
export function runEvalq(
  args: string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<Run> & { kill(): void; output(): string[] } {
  const child = spawn(process.execPath, [CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<Run>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`evalq ${args.join(' ')} timed out:\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
  return Object.assign(done, {
    kill: () => child.kill('SIGTERM'),
    /** Its stdout so far, line by line (while it runs). */
    output: () => stdout.split('\n').filter((line) => line !== ''),
  });
}
