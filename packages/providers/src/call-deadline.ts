import { isNetworkError, rootMessage } from './classify-error.js';
import { ProviderError } from './provider-error.js';

/**
 * Runs one provider call under a deadline and the caller's signal, and turns whatever
 * it throws into a ProviderError: `timeout` when the deadline passed, `aborted` when the
 * caller gave up, `network` for connection failures. `classify` maps the SDK's own
 * errors (HTTP statuses) first. (A plain controller and timer: AbortSignal.any and
 * AbortSignal.timeout cost far more per call.)
 */
export async function callWithDeadline<T>(
  timeoutMs: number,
  outer: AbortSignal | undefined,
  call: (signal: AbortSignal) => Promise<T>,
  classify: (thrown: unknown) => ProviderError | undefined,
): Promise<T> {
  if (outer?.aborted)
    throw new ProviderError('aborted', 'the call was cancelled before it started');
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new DOMException(`no answer within ${timeoutMs} ms`, 'AbortError'));
  }, timeoutMs);
  const onOuterAbort = (): void => controller.abort(new DOMException('cancelled', 'AbortError'));
  outer?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    return await call(controller.signal);
  } catch (thrown) {
    if (thrown instanceof ProviderError) throw thrown;
    if (outer?.aborted) {
      throw new ProviderError('aborted', 'the call was cancelled (worker shutting down)', {
        cause: thrown,
      });
    }
    if (timedOut) {
      throw new ProviderError('timeout', `no answer within ${timeoutMs} ms`, { cause: thrown });
    }
    const classified = classify(thrown);
    if (classified) throw classified;
    if (isNetworkError(thrown)) {
      throw new ProviderError('network', rootMessage(thrown), { cause: thrown });
    }
    throw new ProviderError('invalid_response', rootMessage(thrown), { cause: thrown });
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onOuterAbort);
  }
}
