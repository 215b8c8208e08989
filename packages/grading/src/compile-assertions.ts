import type { ValidateFunction } from 'ajv';
import { usesInputVariables } from '@evalq/providers';
import { assertionListSchema, type Assertion } from './assertion-schema.js';
import { checkJson } from './checks/json-check.js';
import { checkLatency } from './checks/latency-check.js';
import { checkNumber } from './checks/number-check.js';
import { checkRegex } from './checks/regex-check.js';
import { checkSimilar } from './checks/similar-check.js';
import {
  checkContains,
  checkEquals,
  checkIcontains,
  checkStartsWith,
} from './checks/text-checks.js';
import type { CheckOutcome, GradingSubject } from './grading-subject.js';
import { compileRubric, judgePrompt, OUTPUT_VARIABLE } from './judge-prompt.js';
import { readJsonReply, readLabelReply } from './judge-reply.js';
import { compileJsonSchema } from './json-schema.js';
import { compileSafeRegex, type SafeRegex } from './safe-regex.js';

type LlmJudge = Extract<Assertion, { type: 'llm-judge' }>;

/** A check decided from the prediction alone. Throws when it cannot be decided. */
export interface LocalCheck {
  kind: 'local';
  assertion: Assertion;
  run(subject: GradingSubject): CheckOutcome;
}

/** A check a judge model decides: what to ask it, and how to read its reply. */
export interface JudgeCheck {
  kind: 'judge';
  assertion: LlmJudge;
  /** The row variables its rubric uses beside output, expected and content (input keys). */
  inputVariables: readonly string[];
  prompt(subject: GradingSubject): string;
  /** Throws UnreadableJudgeReply when the reply cannot be read. */
  read(reply: string): CheckOutcome;
}

/** A job's assertions made ready to grade many predictions: patterns and schemas compiled once. */
export interface CompiledAssertions {
  readonly assertions: readonly Assertion[];
  readonly threshold: number | null;
  /** True when some assertion needs a judge model's call. */
  readonly needsJudge: boolean;
  /** True when some rubric uses the row's input (the worker then claims rows with it). */
  readonly usesInput: boolean;
  readonly checks: readonly (LocalCheck | JudgeCheck)[];
}

/**
 * Compiles a stored (or requested) list. Parsing fills in defaults, so a list stored
 * before a field had a default still grades as documented. Throws when the list is
 * invalid (the API refuses such lists before they are stored).
 */
export function compileAssertions(list: unknown, threshold: number | null): CompiledAssertions {
  const assertions = assertionListSchema.parse(list);
  const checks = assertions.map(compileCheck);
  return {
    assertions,
    threshold,
    needsJudge: checks.some((check) => check.kind === 'judge'),
    usesInput: checks.some((check) => check.kind === 'judge' && check.inputVariables.length > 0),
    checks,
  };
}

function compileCheck(assertion: Assertion): LocalCheck | JudgeCheck {
  const local = (run: (subject: GradingSubject) => CheckOutcome): LocalCheck => ({
    kind: 'local',
    assertion,
    run,
  });
  switch (assertion.type) {
    case 'equals':
      return local((s) => checkEquals(s.output, assertion.value ?? s.expected));
    case 'contains':
      return local((s) => checkContains(s.output, assertion.value ?? s.expected));
    case 'icontains':
      return local((s) => checkIcontains(s.output, assertion.value ?? s.expected));
    case 'starts-with':
      return local((s) => checkStartsWith(s.output, assertion.value ?? s.expected));
    case 'regex': {
      const { value, flags } = assertion;
      const fixed = value === undefined ? undefined : compileSafeRegex(value, flags);
      const perRow = new RegexCache(flags);
      return local((s) => {
        const pattern = value ?? s.expected;
        return checkRegex(s.output, fixed ?? perRow.get(pattern), pattern);
      });
    }
    case 'is-json': {
      const validate: ValidateFunction | undefined =
        assertion.schema === undefined ? undefined : compileJsonSchema(assertion.schema);
      return local((s) => checkJson(s.output, validate));
    }
    case 'number':
      return local((s) =>
        checkNumber(s.output, assertion.value ?? s.expected, assertion.tolerance),
      );
    case 'similar':
      return local((s) =>
        checkSimilar(s.output, assertion.value ?? s.expected, assertion.threshold),
      );
    case 'latency':
      return local((s) => checkLatency(s.latency_s, assertion.value));
    case 'llm-judge': {
      const { labels, pass_labels: passLabels } = assertion;
      const rubric = compileRubric(assertion.rubric);
      return {
        kind: 'judge',
        assertion,
        inputVariables: rubric.variables.filter(
          (name) => name !== OUTPUT_VARIABLE && usesInputVariables([name]),
        ),
        prompt: (s) => judgePrompt(rubric, s, assertion.value ?? s.expected, labels),
        read: (reply) =>
          labels && passLabels ? readLabelReply(reply, labels, passLabels) : readJsonReply(reply),
      };
    }
  }
}

/** Patterns taken from each row's expected_prediction, compiled once per distinct pattern. */
class RegexCache {
  static readonly MAX_ENTRIES = 1_000;
  readonly #compiled = new Map<string, SafeRegex>();

  constructor(private readonly flags: string | undefined) {}

  /** Throws when the row's pattern does not compile: that row cannot be graded. */
  get(pattern: string): SafeRegex {
    let regex = this.#compiled.get(pattern);
    if (!regex) {
      try {
        regex = compileSafeRegex(pattern, this.flags);
      } catch (error) {
        throw new Error(`the row's pattern does not compile: ${(error as Error).message}`);
      }
      if (this.#compiled.size >= RegexCache.MAX_ENTRIES) this.#compiled.clear();
      this.#compiled.set(pattern, regex);
    }
    return regex;
  }
}
