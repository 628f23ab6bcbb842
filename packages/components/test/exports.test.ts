// The package's main entry is a promise to the programs that import it: these tests hold it to
// the list in README.md ("What the package exports"), keep every component in it, and keep the
// "/internal" subpath a superset, so the repository's own packages lose nothing by using it.
import { expect } from "chai";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as ts from "typescript";

const packageDir = path.resolve(__dirname, "..");

/** Every name (values and types) a module exports, as the TypeScript compiler sees it. */
function exportedNames(file: string): string[] {
  const program = ts.createProgram([file], {
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    esModuleInterop: true,
    skipLibCheck: true,
    strict: true,
    noEmit: true,
  });
  const checker = program.getTypeChecker();
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file)!)!;
  return checker
    .getExportsOfModule(moduleSymbol)
    .map((s) => s.name)
    .sort();
}

/** The backquoted names README.md lists for the main entry (its section, up to "Subpaths:"). */
function readmeNames(): string[] {
  const readme = fs.readFileSync(path.join(packageDir, "README.md"), "utf8");
  const start = readme.indexOf("## What the package exports");
  const end = readme.indexOf("Subpaths:", start);
  expect(start, "README.md has a section 'What the package exports'").to.be.greaterThan(-1);
  const section = readme.slice(start, end);
  const names = [...section.matchAll(/`([A-Za-z_][A-Za-z0-9_]*)`/g)].map((m) => m[1]);
  return [...new Set(names)].sort();
}

function isComponentClass(value: unknown): boolean {
  return typeof value === "function" && value.prototype instanceof pulumi.ComponentResource;
}

describe("the package's exports", function () {
  this.timeout(60_000);

  it("main entry exports exactly the names README.md lists", () => {
    expect(exportedNames(path.join(packageDir, "src/index.ts"))).to.deep.equal(readmeNames());
  });

  it("main entry exports every component resource the package defines", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the runtime modules, as a program loads them
    const main = require("../src/index") as Record<string, unknown>;
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- as above
    const internal = require("../src/internal") as Record<string, unknown>;
    const components = Object.keys(internal).filter((name) => isComponentClass(internal[name]));
    expect(components).to.include.members(["PrivateNetwork", "ThinClientDesktopPool", "GanetiDrbdCluster"]);
    for (const name of components) expect(main[name], `${name} in src/index.ts`).to.equal(internal[name]);
  });

  it("'/internal' exports everything the main entry does, and the renderers and planners besides", () => {
    const main = exportedNames(path.join(packageDir, "src/index.ts"));
    const internal = exportedNames(path.join(packageDir, "src/internal.ts"));
    expect(internal).to.include.members(main);
    expect(internal).to.include.members([
      "renderCloudConfig",
      "planThinClientDesktopPool",
      "parseCidr",
      "ArgsProblems",
    ]);
    expect(main).to.not.include.members(["renderCloudConfig"]);
  });
});
