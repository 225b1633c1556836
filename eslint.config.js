// Lint: TypeScript checks plus the import directions of the layout (see README "Layout").
import tseslint from 'typescript-eslint';

const IO_MODULES = [
  'node:net', 'node:fs', 'node:fs/promises', 'node:http', 'node:https', 'node:dgram', 'node:child_process',
  'node:worker_threads', 'node:cluster', 'net', 'fs', 'fs/promises', 'http', 'https', 'child_process',
  'undici', 'kafkajs', 'pino', 'prom-client', '@kafkajs/confluent-schema-registry',
];

/** Forbid importing the named top-level folders of src/ (matched on the import path). */
const folders = (...names) => names.map((n) => ({
  regex: `(^|/)(\\.\\./)+(src/)?${n}(/|$)`,
  message: `this folder may not import src/${n}/ (see the layout rules in README.md)`,
}));

const pureRules = {
  'no-restricted-imports': ['error', {
    paths: IO_MODULES.map((name) => ({ name, message: 'core/ and partners/ are pure: no I/O imports' })),
    patterns: [],
  }],
  'no-restricted-properties': ['error',
    { object: 'Date', property: 'now', message: 'pure code takes `now` as a parameter' },
    { object: 'process', property: 'env', message: 'only src/config reads the environment' },
    { object: 'Math', property: 'random', message: 'pure code takes randomness as a parameter' },
  ],
  'no-restricted-syntax': ['error', {
    selector: "NewExpression[callee.name='Date'][arguments.length=0]",
    message: 'pure code takes `now` as a parameter',
  }],
};

const withFolders = (rules, ...names) => ({
  ...rules,
  'no-restricted-imports': ['error', {
    paths: rules['no-restricted-imports']?.[1]?.paths ?? [],
    patterns: folders(...names),
  }],
});

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: withFolders(pureRules, 'cli', 'app', 'config', 'partners', 'pipeline', 'adapters', 'observability', 'sandbox'),
  },
  {
    files: ['src/partners/**/*.ts'],
    rules: withFolders(pureRules, 'cli', 'app', 'config', 'pipeline', 'adapters', 'observability', 'sandbox'),
  },
  {
    files: ['src/pipeline/**/*.ts'],
    rules: withFolders({}, 'cli', 'app', 'config', 'adapters', 'observability', 'sandbox'),
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: withFolders({}, 'cli', 'app', 'config', 'partners', 'pipeline', 'sandbox'),
  },
  {
    files: ['src/config/**/*.ts', 'src/observability/**/*.ts'],
    rules: withFolders({}, 'cli', 'app', 'pipeline', 'adapters', 'sandbox'),
  },
  {
    files: ['src/app/**/*.ts'],
    rules: withFolders({}, 'cli', 'sandbox'),
  },
  {
    // The sandbox is a separate product that happens to live here: it depends on nothing else in src/.
    files: ['src/sandbox/**/*.ts'],
    rules: withFolders({}, 'cli', 'app', 'config', 'core', 'partners', 'pipeline', 'adapters', 'observability'),
  },
);
