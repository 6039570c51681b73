"use strict";
/*
 * ESLint for the PixInsight script and its Node tests.
 * - lib/engine: the engine-neutral subset (ES2015 script, no class / template / spread / rest /
 *   destructuring), so the same files could run on the old SpiderMonkey engine;
 * - the entry file and lib/pi: V8 (latest ECMAScript) scripts with the PJSR globals read-only;
 * - tests/js: Node.
 */
const js = require("@eslint/js");
const globals = require("globals");
const { API: api, stripDirectives } = require("./tests/js/shim");

const pjsrGlobals = {};
for (const name of [...Object.keys(api.classes), ...Object.keys(api.families), "console", "format"]) {
   pjsrGlobals[name] = "readonly";
}

const NEUTRAL_SUBSET = [
   "ClassDeclaration", "ClassExpression", "TemplateLiteral", "SpreadElement", "RestElement",
   "ObjectPattern", "ArrayPattern"
].map((selector) => ({ selector, message: `${selector} is outside the engine-neutral subset (PJSR_GUIDE section 1)` }));

/* The entry file starts with PJSR preprocessor directives: lint it with those lines blanked. */
const directives = {
   preprocess: (text) => [stripDirectives(text)],
   postprocess: (messages) => messages.flat(),
   supportsAutofix: false
};

module.exports = [
   { ignores: ["node_modules/**"] },
   js.configs.recommended,
   {
      files: ["pjsr/**/lib/engine/*.js"],
      languageOptions: { ecmaVersion: 2015, sourceType: "script", globals: { BGX: "writable" } },
      rules: {
         "no-restricted-syntax": ["error", ...NEUTRAL_SUBSET],
         "no-var": "off",
         "no-unused-vars": ["error", { caughtErrors: "none" }],
         "no-redeclare": ["error", { builtinGlobals: false }]
      }
   },
   {
      files: ["pjsr/**/lib/pi/*.js", "pjsr/**/BackgroundOptimizer.js"],
      languageOptions: { ecmaVersion: "latest", sourceType: "script", globals: { ...pjsrGlobals, BGX: "readonly" } },
      rules: { "no-var": "error", "prefer-const": "error" }
   },
   {
      files: ["pjsr/**/BackgroundOptimizer.js"],
      processor: directives
   },
   {
      files: ["tests/js/**/*.js", "eslint.config.js"],
      languageOptions: { ecmaVersion: "latest", sourceType: "commonjs", globals: { ...globals.node } },
      rules: { "no-var": "error", "prefer-const": "error" }
   }
];
