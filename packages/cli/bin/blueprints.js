#!/usr/bin/env node
// Plain node: the installed package runs its compiled dist/, the repository its sources through
// ts-node (@openstack-blueprints/package-loader decides).
"use strict";
const { main } = require("@openstack-blueprints/package-loader")(require("node:path").dirname(__dirname))("main");
main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`blueprints: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
