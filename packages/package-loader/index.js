"use strict";
// Which code a package of this project runs. In the repository the TypeScript sources are there
// and run under ts-node (as the tests, stacks and bins always did, so an old dist/ never shadows
// them); a published package ships no src/ and runs its compiled dist/. One loader for every
// package, so that the rule lives in one place; each package's entry files call it with their
// own folder.
const fs = require("fs");
const path = require("path");

/** `packageLoader(__dirname)("desktop/capacity")`: that module of the package in `packageDir`. */
module.exports = function packageLoader(packageDir) {
  return function load(modulePath) {
    const source = path.join(packageDir, "src", `${modulePath}.ts`);
    if (fs.existsSync(source)) {
      if (!require.extensions[".ts"]) {
        // The repository's own compiler settings, wherever the command was started from.
        require("ts-node").register({
          transpileOnly: true,
          project: path.join(packageDir, "..", "..", "tsconfig.json"),
        });
      }
      return require(source);
    }
    return require(path.join(packageDir, "dist", `${modulePath}.js`));
  };
};
