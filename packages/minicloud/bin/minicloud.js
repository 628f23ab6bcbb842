#!/usr/bin/env node
// Runs the TypeScript CLI without a build step: ts-node in transpile-only mode (type checking
// happens in `npm test`), so start-up costs well under a second.
"use strict";
require("ts-node").register({ transpileOnly: true, project: require("path").join(__dirname, "..", "..", "..", "tsconfig.json") });
require("../src/cli.ts").main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`minicloud: ${err && err.message ? err.message : err}`);
    process.exit(1);
  },
);
