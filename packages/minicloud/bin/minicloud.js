#!/usr/bin/env node
// Plain node: the installed package runs its compiled dist/; the repository runs its sources
// through ts-node in transpile-only mode (load.js; type checking happens in `npm test`), so
// start-up costs well under a second.
"use strict";
require("../load")("cli")
  .main(process.argv.slice(2))
  .then(
    (code) => process.exit(code),
    (err) => {
      console.error(`minicloud: ${err && err.message ? err.message : err}`);
      process.exit(1);
    },
  );
