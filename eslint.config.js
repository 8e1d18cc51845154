// Lint: typescript-eslint's type-aware recommended rules. Every promise is awaited or marked `void`
// (node:test's test/describe calls are known to be safe); tests may poke at parsed JSON freely.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const nodeTest = ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'].map((name) => ({
  from: 'package',
  package: 'node:test',
  name,
}));

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': ['error', { allowForKnownSafeCalls: nodeTest }],
      '@typescript-eslint/no-misused-promises': 'error',
      // Interface implementations are often async without awaiting; the signature is the point.
      '@typescript-eslint/require-await': 'off',
      // `{ DROPPED: _dropped, ...rest }` is how a key is left out of a copy.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {
          argsIgnorePattern: '^_',
          varsIgnorePattern: '^_',
          destructuredArrayIgnorePattern: '^_',
          caughtErrors: 'none',
        },
      ],
      // Deps and services are plain objects of functions declared with method syntax; none uses `this`.
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    // Tests and the sandbox's stand-ins read untyped JSON bodies on purpose.
    files: ['test/**', 'scripts/**'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  { files: ['**/*.js', '**/*.cjs', '**/*.mjs'], ...tseslint.configs.disableTypeChecked },
);
