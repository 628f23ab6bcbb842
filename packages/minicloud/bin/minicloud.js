#!/usr/bin/env node
// Plain node: the installed package runs its compiled dist/; the repository runs its sources
// through ts-node in transpile-only mode (@openstack-blueprints/package-loader; type checking happens in `npm test`), so
// start-up costs well under a second.
"use strict";
require("@openstack-blueprints/package-loader")(require("node:path").dirname(__dirname))("cli")
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      console.error(`minicloud: ${err && err.message ? err.message : err}`);
      process.exit(1);
    },
  );
