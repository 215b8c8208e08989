import type { Reporter, TestModule } from 'vitest/node';

/**
 * Under CI=true a skipped test is a failure: CI must run every test. This reporter lists
 * the skipped tests, with their reasons, and fails the run; elsewhere it says nothing.
 */
export default class CiSkipReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    if (process.env.CI !== 'true') return;
    const skipped: string[] = [];
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const result = test.result();
        if (result.state !== 'skipped') continue;
        const note = result.note;
        skipped.push(`${module.moduleId} > ${test.fullName}${note ? ` (${note})` : ''}`);
      }
    }
    if (skipped.length === 0) return;
    process.stderr.write(
      `\nCI=true: ${skipped.length} test(s) were skipped, which fails the run:\n  ${skipped.join('\n  ')}\n`,
    );
    process.exitCode = 1;
  }
}
