#!/usr/bin/env node
// Plain node: the installed package runs its compiled dist/, the repository its sources through
// ts-node (load.js decides).
"use strict";
const { main } = require("../load")("main");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`blueprints: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
