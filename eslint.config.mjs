// TypeScript lint (npm run lint:ts, part of npm run lint, zero warnings). Type-aware rules that catch bugs, not
// style (Prettier owns formatting): promises that are never awaited or handled, and import cycles.
import tseslint from "typescript-eslint";
import importX from "eslint-plugin-import-x";
import { createTypeScriptImportResolver } from "eslint-import-resolver-typescript";

export default tseslint.config(
  {
    ignores: [
      "node_modules/",
      "artifacts/",
      "cache/",
      "coverage/",
      "typechain-types/",
      "dist/",
      "build/",
      "out/",
      "flat/",
      "web/dist/",
      "**/*.js",
      "**/*.mjs",
      "**/*.cjs",
    ],
  },
  {
    files: ["**/*.ts"],
    extends: [tseslint.configs.recommendedTypeChecked],
    plugins: { "import-x": importX },
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["web/vite.config.ts"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    settings: {
      // How import-x reads the modules it follows (as its flatConfigs.typescript preset sets them).
      "import-x/extensions": [".ts"],
      "import-x/parsers": { "@typescript-eslint/parser": [".ts"] },
      "import-x/resolver-next": [
        createTypeScriptImportResolver({
          project: ["tsconfig.json", "web/tsconfig.json"],
          noWarnOnMultipleProjects: true,
        }),
      ],
    },
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "import-x/no-cycle": ["error", { ignoreExternal: true }],
      "no-control-regex": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", caughtErrors: "none", ignoreRestSiblings: true },
      ],
      // Untyped values come from JSON.parse, require and zod-checked edges; tracing every `any` is churn, not bugs.
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-call": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
      // Style, or false positives on this code base (String(unknown) before validation, chai's property
      // assertions, destructured node: imports, async interface methods without await).
      "@typescript-eslint/no-unnecessary-type-assertion": "off",
      "@typescript-eslint/no-base-to-string": "off",
      "@typescript-eslint/restrict-template-expressions": "off",
      "@typescript-eslint/no-redundant-type-constituents": "off",
      "@typescript-eslint/no-unused-expressions": "off",
      "@typescript-eslint/unbound-method": "off",
      "@typescript-eslint/require-await": "off",
    },
  },
  {
    // Only src/ and tasks/ must load code through imports or tasks/common/lazy.ts; configs, benches and tests
    // may require what they resolve at run time.
    files: ["hardhat.config.ts", "bench/**/*.ts", "test/**/*.ts", "scripts/**/*.ts", "examples/**/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
