/**
 * A level-triggered wake-up: `notify()` ends the current (or the next) `wait()`. The
 * claim loop sleeps on it and is woken by a freed slot, a discovered job, or shutdown.
 */
export class WakeSignal {
  #pending = false;
  #resolve: (() => void) | undefined;

  notify(): void {
    if (this.#resolve) {
      const resolve = this.#resolve;
      this.#resolve = undefined;
      resolve();
    } else {
      this.#pending = true;
    }
  }

  /** Resolves on the next notify (or a pending one), or after `timeoutMs`. */
  wait(timeoutMs: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return Promise.resolve();
    }
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.#resolve === done) this.#resolve = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, timeoutMs));
      this.#resolve = done;
    });
  }
}
