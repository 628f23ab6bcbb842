"use strict";
// Which code a package of this project runs. In the repository the TypeScript sources are there
// and run under ts-node (as the tests, stacks and bins always did, so an old dist/ never shadows
// them); a published package ships no src/ and runs its compiled dist/. One loader for every
// package, so that the rule lives in one place; each package's entry files call it with their
// own folder.
const fs = require("fs");
const path = require("path");

/**
 * `packageLoader(__dirname)("desktop/capacity")`: that module of the package in `packageDir`.
 * `packageLoader(__dirname).lazy("index")`: the same module's exports, each loaded on first use.
 */
module.exports = function packageLoader(packageDir) {
  function load(modulePath) {
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
  }

  /**
   * An entry module made only of re-exports (`export { A, B as C } from "./x";`, type-only ones
   * skipped), loaded lazily: each name is a getter that loads its module when first read. A
   * program using one component then loads that component's modules, not every module the entry
   * names — under ts-node in the repository each is compiled at load (seconds for the whole
   * components package). The list is read from the entry's own text (src/<m>.ts, or
   * dist/<m>.d.ts once installed), so it cannot drift from it; an entry with any other kind of
   * statement is loaded as it is.
   */
  load.lazy = function lazy(modulePath) {
    const source = path.join(packageDir, "src", `${modulePath}.ts`);
    const declarations = path.join(packageDir, "dist", `${modulePath}.d.ts`);
    const file = fs.existsSync(source) ? source : declarations;
    if (!fs.existsSync(file)) return load(modulePath);
    const exportsOf = reExports(fs.readFileSync(file, "utf8"));
    if (!exportsOf) return load(modulePath);
    const dir = path.posix.dirname(modulePath);
    const entry = {};
    // As TypeScript marks its own CommonJS output: `import * as c` then uses the object as it is.
    Object.defineProperty(entry, "__esModule", { value: true });
    for (const { name, from, as } of exportsOf) {
      const target = path.posix.join(dir, from);
      Object.defineProperty(entry, as, { enumerable: true, get: () => load(target)[name] });
    }
    return entry;
  };

  return load;
};

/**
 * The value re-exports of a module's text, or undefined when it has any statement other than
 * `export { … } from "./…";` and `export type { … } from "…";` (comments and blank lines aside).
 */
function reExports(text) {
  const statements = text
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "")
    .split(";")
    .map((s) => s.trim())
    .filter((s) => s !== "");
  const found = [];
  for (const statement of statements) {
    const m = /^export\s+(type\s+)?\{([^}]*)\}\s+from\s+"(\.[^"]+)"$/.exec(statement);
    if (!m) return undefined;
    if (m[1]) continue;
    for (const part of m[2].split(",").map((p) => p.trim())) {
      if (part === "" || part.startsWith("type ")) continue;
      const names = /^([A-Za-z_$][\w$]*)(?:\s+as\s+([A-Za-z_$][\w$]*))?$/.exec(part);
      if (!names) return undefined;
      found.push({ name: names[1], as: names[2] ?? names[1], from: m[3] });
    }
  }
  return found;
}
