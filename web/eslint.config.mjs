// ESLint for the web app (scripts/web-check.sh): the recommended rules, browser globals for the
// app, node's for the build and the tests.
import js from "@eslint/js";
import globals from "globals";

export default [
  { ignores: ["dist/", "node_modules/", "test-results/", "playwright-report/"] },
  js.configs.recommended,
  {
    linterOptions: { reportUnusedDisableDirectives: "error" },
    rules: {
      eqeqeq: ["error", "always"],
      "no-var": "error",
      "prefer-const": "error",
      "no-shadow": "error",
      "no-unused-vars": ["error", { args: "all", argsIgnorePattern: "^_" }],
    },
  },
  { files: ["src/**/*.js"], languageOptions: { globals: globals.browser } },
  { files: ["*.mjs", "test/**/*.mjs"], languageOptions: { globals: globals.node } },
  // Browser tests hand functions to the page (page.evaluate), which run there.
  { files: ["test/browser/**/*.mjs"], languageOptions: { globals: { ...globals.node, ...globals.browser } } },
];
