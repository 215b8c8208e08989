import { EvalqError } from '@evalq/core';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeExit, ServiceProcess, type ExitStatus } from './service-process.js';

/** A service of the demo did not start or exited on its own; its last output says why. */
export class ServiceError extends EvalqError {
  constructor(
    readonly service: ServiceProcess,
    message: string,
  ) {
    super('DEMO_SERVICE_FAILED', message);
  }
}

export interface StoppedService {
  name: string;
  status: ExitStatus;
  /** It had exited already (a failure reported on its own). */
  exitedOnItsOwn: boolean;
  /** It did not stop within the timeout and was killed. */
  killed: boolean;
}

const READY_TIMEOUT_MS = 30_000;

/**
 * The API and the workers the demo runs as child processes, started together and
 * always stopped together: stopAll() sends each one SIGTERM and waits for it to exit.
 */
export class DemoServices {
  private readonly processes: ServiceProcess[] = [];
  private failWith: ((error: Error) => void) | undefined;
  /** Rejects as soon as a service exits before stopAll() was called. */
  readonly unexpectedExit: Promise<never>;

  constructor(private readonly stopTimeoutMs: number) {
    this.unexpectedExit = new Promise<never>((_, reject) => {
      this.failWith = reject;
    });
    // Only a step racing against it reports it; unwatched, it must not crash the process.
    this.unexpectedExit.catch(() => undefined);
  }

  get started(): readonly ServiceProcess[] {
    return this.processes;
  }

  /** Starts `evalq api` on 127.0.0.1:port; resolves once /readyz answers 200. */
  async startApi(env: NodeJS.ProcessEnv, port: number, signal: AbortSignal): Promise<string> {
    const api = this.start('the API', ['api'], { ...env, PORT: String(port), HOST: '127.0.0.1' });
    const url = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!signal.aborted) {
      if (!api.running) {
        const status = await api.exited;
        throw new ServiceError(api, `the API exited (${describeExit(status)}) before it was ready`);
      }
      const ready = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) }).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) return url;
      if (Date.now() > deadline) {
        throw new ServiceError(api, `the API was not ready after ${READY_TIMEOUT_MS / 1000} s`);
      }
      await sleep(100);
    }
    throw signal.reason;
  }

  /** Starts `evalq worker`; resolves once it logs that it is ready. */
  async startWorker(env: NodeJS.ProcessEnv, name: string): Promise<void> {
    const worker = this.start(name, ['worker'], env);
    try {
      await worker.waitForLog((record) => record.msg === 'worker ready', READY_TIMEOUT_MS);
    } catch (error) {
      throw new ServiceError(worker, (error as Error).message);
    }
  }

  /** Stops every service (SIGTERM, then SIGKILL after the timeout); safe to call twice. */
  async stopAll(): Promise<StoppedService[]> {
    return Promise.all(
      this.processes.map(async (service) => {
        const status = await service.stop(this.stopTimeoutMs);
        return {
          name: service.name,
          status,
          exitedOnItsOwn: service.exitedOnItsOwn,
          killed: service.killed,
        };
      }),
    );
  }

  private start(name: string, command: string[], env: NodeJS.ProcessEnv): ServiceProcess {
    const service = new ServiceProcess(name, command, env);
    this.processes.push(service);
    void service.exited.then((status) => {
      if (service.stopRequested) return;
      this.failWith?.(
        new ServiceError(service, `${service.name} exited unexpectedly (${describeExit(status)})`),
      );
    });
    return service;
  }
}
