export {
  ASSERTION_TYPES,
  DEFAULT_ASSERTIONS,
  assertionListSchema,
  assertionSchema,
  judgeModelIds,
  thresholdSchema,
  type Assertion,
  type AssertionInput,
  type AssertionType,
} from './assertion-schema.js';
export {
  compileAssertions,
  type CompiledAssertions,
  type JudgeCheck,
  type LocalCheck,
} from './compile-assertions.js';
export {
  gradeLocally,
  gradePrediction,
  type JudgeAnswer,
  type JudgeCall,
} from './grade-prediction.js';
export type { GradingSubject } from './grading-subject.js';
export {
  compileRubric,
  judgePrompt,
  OUTPUT_VARIABLE,
  renderRubric,
  type CompiledRubric,
} from './judge-prompt.js';
export { UnreadableJudgeReply } from './judge-reply.js';
export { normalizeLabel } from './normalize-label.js';
export { compileSafeRegex, type SafeRegex } from './safe-regex.js';
export { sameAssertions } from './same-assertions.js';
export { decideVerdict, type AssertionResult, type Verdict } from './verdict.js';
