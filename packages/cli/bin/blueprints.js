#!/usr/bin/env node
// Runs the TypeScript CLI through ts-node (the project has no build step).
require("ts-node").register({ transpileOnly: true, compilerOptions: { module: "commonjs" } });
const { main } = require("../src/main.ts");
main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => { process.stderr.write(`blueprints: ${error instanceof Error ? error.message : String(error)}\n`); process.exitCode = 1; },
);
