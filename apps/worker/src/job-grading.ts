import { compileAssertions, type CompiledAssertions } from '@evalq/grading';
import type { JobGrading as StoredGrading } from '@evalq/db';

/** A job's assertions, compiled once, with the grading_version they belong to. */
export interface JobGrading {
  readonly version: number;
  /** Undefined when the stored list is invalid (written around the API): `problem` says why. */
  readonly compiled: CompiledAssertions | undefined;
  readonly problem: string | undefined;
  /** The judge models it calls. */
  readonly judgeModelIds: readonly number[];
  /** Whether a judge rubric uses the row's input (the claim fetches it then). */
  readonly usesInput: boolean;
}

export function compileJobGrading(stored: StoredGrading): JobGrading {
  try {
    const compiled = compileAssertions(stored.assertions, stored.threshold);
    return {
      version: stored.grading_version,
      compiled,
      problem: undefined,
      usesInput: compiled.usesInput,
      judgeModelIds: [
        ...new Set(
          compiled.checks.flatMap((c) => (c.kind === 'judge' ? [c.assertion.model_id] : [])),
        ),
      ],
    };
  } catch (error) {
    return {
      version: stored.grading_version,
      compiled: undefined,
      problem: `the job's assertions are invalid: ${(error as Error).message}`,
      judgeModelIds: [],
      usesInput: false,
    };
  }
}
