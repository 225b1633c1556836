// Lint: TypeScript checks plus the import directions of the layout (see README "Layout").
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import tseslint from 'typescript-eslint';

const ROOT = dirname(fileURLToPath(import.meta.url));
const SANDBOX_PACKAGE = '@tributary/sandbox';

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

/**
 * Package boundaries, on resolved paths rather than import strings. Options: `within` (a folder: relative imports
 * must stay inside it), `outside` (a folder: relative imports must not reach into it), `packages` (names that may
 * not be imported, nor their subpaths).
 */
const boundaries = {
  rules: {
    imports: {
      meta: { type: 'problem', schema: [{ type: 'object' }] },
      create(context) {
        const { within, outside, packages = [], message } = context.options[0] ?? {};
        const inside = (dir, path) => {
          const rel = relative(resolve(ROOT, dir), path);
          return rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
        };
        const check = (node) => {
          const source = node?.source;
          if (!source || source.type !== 'Literal' || typeof source.value !== 'string') return;
          const spec = source.value;
          if (spec.startsWith('.')) {
            const target = resolve(dirname(context.filename), spec);
            if ((within && !inside(within, target)) || (outside && inside(outside, target))) {
              context.report({ node: source, message: `${message} ('${spec}')` });
            }
          } else if (packages.some((name) => spec === name || spec.startsWith(`${name}/`))) {
            context.report({ node: source, message: `${message} ('${spec}')` });
          }
        };
        return {
          ImportDeclaration: check,
          ExportAllDeclaration: check,
          ExportNamedDeclaration: check,
          ImportExpression: check,
        };
      },
    },
  },
};

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
    rules: withFolders(pureRules, 'cli', 'app', 'config', 'partners', 'pipeline', 'adapters', 'observability'),
  },
  {
    files: ['src/partners/**/*.ts'],
    rules: withFolders(pureRules, 'cli', 'app', 'config', 'pipeline', 'adapters', 'observability'),
  },
  {
    files: ['src/pipeline/**/*.ts'],
    rules: withFolders({}, 'cli', 'app', 'config', 'adapters', 'observability'),
  },
  {
    files: ['src/adapters/**/*.ts'],
    rules: withFolders({}, 'cli', 'app', 'config', 'partners', 'pipeline'),
  },
  {
    files: ['src/config/**/*.ts', 'src/observability/**/*.ts'],
    rules: withFolders({}, 'cli', 'app', 'pipeline', 'adapters'),
  },
  {
    files: ['src/app/**/*.ts'],
    rules: withFolders({}, 'cli'),
  },
  {
    // The sandbox (packages/sandbox) is a separate product that happens to live here: it depends on nothing in
    // src/ (no relative path out of its folder, no import of the product by name).
    files: ['packages/sandbox/**/*.ts'],
    plugins: { boundaries },
    rules: {
      'boundaries/imports': ['error', {
        within: 'packages/sandbox',
        packages: ['tributary'],
        message: 'packages/sandbox imports nothing from src/ or the rest of the repository',
      }],
    },
  },
  {
    // Everything else reaches the sandbox by its package name only, never by a path into packages/.
    files: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.{js,mjs}'],
    // The parity check runs the sandbox's own broker checks against real Kafka: it reads that test fixture.
    ignores: ['test/integration/real-kafka/broker-parity.test.ts'],
    plugins: { boundaries },
    rules: {
      'boundaries/imports': ['error', { outside: 'packages', message: `import the sandbox as '${SANDBOX_PACKAGE}', not by path` }],
    },
  },
  {
    // Production code imports the sandbox package only from cli/, for the `demo` and `sandbox` commands.
    files: ['src/**/*.ts'],
    ignores: ['src/cli/**'],
    plugins: { boundaries },
    rules: {
      'boundaries/imports': ['error', {
        outside: 'packages',
        packages: [SANDBOX_PACKAGE],
        message: 'only src/cli/ may import the sandbox package (see the layout rules in README.md)',
      }],
    },
  },
);
