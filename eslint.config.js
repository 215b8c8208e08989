// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', 'coverage/**', '**/*.tsbuildinfo'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      parserOptions: {
        project: ['./tsconfig.check.json'],
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      'no-console': 'error',
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    // Plain JavaScript files (configs, browser assets) are not part of the TypeScript program.
    files: ['**/*.js', '**/*.mjs', '**/*.cjs'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The dashboard's ES modules run in the browser, not in Node.
    files: ['apps/api/dashboard/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      // Browser globals only: Node's (process, Buffer, …) do not exist there.
      globals: {
        ...Object.fromEntries(Object.keys(globals.node).map((name) => [name, 'off'])),
        ...globals.browser,
      },
    },
    rules: {
      // Errors a view hits while redrawing go to the browser's console.
      'no-console': ['error', { allow: ['error'] }],
      // The page never builds HTML from strings: text goes in as text.
      'no-restricted-properties': [
        'error',
        { property: 'innerHTML', message: 'set textContent or build elements (dom.js)' },
        { property: 'outerHTML', message: 'set textContent or build elements (dom.js)' },
        { property: 'insertAdjacentHTML', message: 'build elements (dom.js)' },
        { object: 'document', property: 'write', message: 'build elements (dom.js)' },
      ],
    },
  },
  {
    files: ['**/test/**/*.ts'],
    rules: {
      // Tests assert on values they know the shape of, such as JSON bodies read back
      // from the HTTP API.
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
);
