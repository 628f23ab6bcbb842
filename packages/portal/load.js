"use strict";
// Which code this package runs. In the repository the TypeScript sources are there and run
// under ts-node (as the tests, stacks and bins always did, so an old dist/ never shadows them);
// the published package ships no src/ and runs its compiled dist/.
const fs = require("fs");
const path = require("path");

module.exports = function load(modulePath) {
  const source = path.join(__dirname, "src", `${modulePath}.ts`);
  if (fs.existsSync(source)) {
    if (!require.extensions[".ts"]) {
      // The repository's own compiler settings, wherever the command was started from.
      require("ts-node").register({ transpileOnly: true, project: path.join(__dirname, "..", "..", "tsconfig.json") });
    }
    return require(source);
  }
  return require(path.join(__dirname, "dist", `${modulePath}.js`));
};
