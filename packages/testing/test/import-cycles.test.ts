import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { describe, expect, it } from 'vitest';

// No module of any workspace imports itself back through others (docs/architecture.md,
// "Packages"): a cycle makes start-up order matter and hides which part owns what.
// dependency-cruiser reads every workspace's src/, type-only imports included, and
// resolves `@evalq/*` to their sources through tsconfig.check.json's paths, so cycles
// across packages count too.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const SOURCES = ['packages/*/src', 'apps/*/src', 'bench/src'];

async function cruiseSources(): Promise<ICruiseResult> {
  const tsConfigFile = `${root}tsconfig.check.json`;
  const result = await cruise(
    SOURCES,
    {
      baseDir: root,
      tsPreCompilationDeps: true,
      tsConfig: { fileName: tsConfigFile },
      exclude: { path: '(^|/)(node_modules|dist)/' },
      validate: true,
      ruleSet: {
        forbidden: [{ name: 'no-circular', severity: 'error', from: {}, to: { circular: true } }],
      },
    },
    {},
    { tsConfig: extractTSConfig(tsConfigFile) },
  );
  return result.output as ICruiseResult;
}

describe('imports between modules', () => {
  it('form no cycle', async () => {
    const result = await cruiseSources();
    const sources = result.modules.map((module) => module.source);
    // The cruise saw every workspace and resolved every evalq import to a source file.
    for (const workspace of [
      'packages/core/src/',
      'packages/db/src/',
      'apps/worker/src/',
      'apps/api/src/',
      'apps/cli/src/',
      'bench/src/',
    ]) {
      expect(
        sources.some((source) => source.startsWith(workspace)),
        workspace,
      ).toBe(true);
    }
    const unresolved = result.modules.flatMap((module) =>
      module.dependencies
        .filter((dependency) => dependency.couldNotResolve)
        .map((dependency) => `${module.source} → ${dependency.module}`),
    );
    expect(unresolved).toEqual([]);

    const cycles = result.summary.violations.map((violation) =>
      [violation.from, ...(violation.cycle ?? []).map((step) => step.name)].join(' → '),
    );
    expect(cycles).toEqual([]);
  });
});
