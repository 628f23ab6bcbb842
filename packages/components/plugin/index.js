"use strict";
// What the engine runs for the package openstack-blueprints (PulumiPlugin.yaml in this folder).
//
// Pulumi's run-plugin has already hooked ts-node into this process, type-checking with default
// compiler options (the consumer's folder has no tsconfig.json), under which the sources do not
// compile: the workspace packages are found through the repository tsconfig's `paths`. So the
// provider (../src/provider.ts) runs in a child Node.js with the repository's own settings,
// transpile-only, as the tests and stacks run the sources; type checking is `tsc`'s job. The
// child gets the engine's address (our arguments) and shares our stdout, where it prints the
// port the engine connects to.
const { fork } = require("child_process");
const path = require("path");

const provider = fork(path.join(__dirname, "..", "src", "provider.ts"), process.argv.slice(2), {
  // Resolved from here: the engine starts us in the consumer's folder.
  execArgv: ["-r", require.resolve("ts-node/register/transpile-only")],
  env: { ...process.env, TS_NODE_PROJECT: path.join(__dirname, "..", "..", "..", "tsconfig.json") },
  stdio: "inherit",
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => provider.kill(signal));
module.exports = new Promise((resolve, reject) => {
  provider.on("error", reject);
  provider.on("exit", (code, signal) => {
    if (code === 0) resolve();
    else reject(new Error(`the openstack-blueprints provider exited with ${signal ?? `code ${code}`}`));
  });
});
