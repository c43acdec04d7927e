// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import reactHooks from 'eslint-plugin-react-hooks';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  // schema.gen.ts is generated from api/openapi.yaml (npm run gen:api).
  { ignores: ['dist', 'node_modules', 'src/api/schema.gen.ts'] },
  {
    files: ['**/*.{ts,tsx}'],
    extends: [
      js.configs.recommended,
      ...tseslint.configs.strictTypeChecked,
      ...tseslint.configs.stylisticTypeChecked,
      reactHooks.configs.flat['recommended-latest'],
    ],
    languageOptions: {
      ecmaVersion: 2022,
      globals: { ...globals.browser },
      parserOptions: {
        projectService: true,
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true }],
      '@typescript-eslint/no-misused-promises': ['error', { checksVoidReturn: { attributes: false } }],
      '@typescript-eslint/consistent-type-definitions': 'off',
      '@typescript-eslint/no-non-null-assertion': 'error',
      // We ban `!`, so an `as T` cast is the way to narrow in tests.
      '@typescript-eslint/non-nullable-type-assertion-style': 'off',
    },
  },
  // The import direction: pages → features → resources → api / ui / lib.
  // Pages are App.tsx, main.tsx and the route components (features/**/*Page.tsx);
  // features are src/features; resources (a resource's queries, mutations and
  // cache updates) are src/resources; the base is src/api (the wire: fetch,
  // types, the event transport), src/components (the UI kit) and src/lib
  // (pure helpers). A layer imports only from layers below it; the base may
  // read a resource's pure model (resources/*/model), nothing else above it.
  {
    files: ['src/features/**/*.{ts,tsx}'],
    // Tests render pages; they are no part of the import graph the app ships.
    ignores: ['src/features/**/*Page.tsx', 'src/**/*.test.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '(^|/)(App|main)$', message: 'features must not import the app shell (pages → features → resources → api/ui/lib).' },
        { regex: '(^|/)[A-Z][A-Za-z]*Page$', caseSensitive: true, message: 'features must not import pages (pages → features → resources → api/ui/lib).' },
      ] }],
    },
  },
  {
    files: ['src/resources/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '(^|/)(App|main)$', message: 'resources must not import the app shell (pages → features → resources → api/ui/lib).' },
        { regex: '(^|/)features(/|$)', message: 'resources must not import features (pages → features → resources → api/ui/lib).' },
        { regex: '(^|/)test/render$', message: 'resources are tested without rendering components.' },
      ] }],
    },
  },
  {
    files: ['src/api/**/*.{ts,tsx}', 'src/components/**/*.{ts,tsx}', 'src/lib/**/*.{ts,tsx}'],
    rules: {
      'no-restricted-imports': ['error', { patterns: [
        { regex: '(^|/)(App|main)$', message: 'api, components and lib must not import the app shell (pages → features → resources → api/ui/lib).' },
        { regex: '(^|/)features(/|$)', message: 'api, components and lib must not import features (pages → features → resources → api/ui/lib).' },
        { regex: '(^|/)resources(/(?![^/]+/model$)|$)', message: 'api, components and lib may use a resource’s pure model (resources/*/model) only (pages → features → resources → api/ui/lib).' },
      ] }],
    },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
