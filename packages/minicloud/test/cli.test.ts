// The command line only: --help and bad flags. Nothing here may install, start or stop anything:
// the spawned CLI runs with a guard preloaded that makes loading any module that acts on the
// machine (up, control, install, processes, ...) throw, with PATH and HOME in an empty folder and
// every minicloud directory moved there, so even a broken --help cannot reach apt-get or a daemon.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCommand, USAGE } from "../src/cli";

const BIN = path.resolve(__dirname, "../bin/minicloud.js");
const ACTING_MODULES = [
  "up",
  "control",
  "guests",
  "install",
  "processes",
  "services",
  "exec",
  "cloud-resources",
  "secrets",
];

describe("minicloud command line (parsing only, starts nothing)", function () {
  this.timeout(60000);
  let dir: string;
  let guard: string;
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "minicloud-cli-"));
    guard = path.join(dir, "guard.js");
    fs.writeFileSync(
      guard,
      `const Module = require("module");
const path = require("path");
const load = Module._load;
const src = ${JSON.stringify(path.resolve(__dirname, "../src"))};
const acting = new Set(${JSON.stringify(ACTING_MODULES)});
Module._load = function (request, parent, isMain) {
  const resolved = Module._resolveFilename(request, parent, isMain);
  const name = path.basename(resolved).replace(/\\.[jt]s$/, "");
  if (resolved.startsWith(src) && acting.has(name)) throw new Error("guard: the CLI loaded " + name);
  return load.apply(this, arguments);
};
`,
    );
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  const minicloud = (...args: string[]) => {
    const home = path.join(dir, "home");
    const bin = path.join(dir, "bin");
    fs.mkdirSync(home, { recursive: true });
    fs.mkdirSync(bin, { recursive: true });
    const started = Date.now();
    const run = spawnSync(process.execPath, ["--require", guard, BIN, ...args], {
      encoding: "utf8",
      timeout: 30000,
      env: {
        PATH: bin,
        HOME: home,
        MINICLOUD_STATE_DIR: path.join(dir, "state"),
        MINICLOUD_CONFIG_DIR: path.join(dir, "etc"),
        MINICLOUD_LOG_DIR: path.join(dir, "log"),
        MINICLOUD_CLOUDS_YAML: path.join(dir, "clouds.yaml"),
      },
    });
    return { ...run, ms: Date.now() - started };
  };
  const createdIn = () => fs.readdirSync(dir).filter((f) => !["guard.js", "home", "bin"].includes(f));

  it("parses without acting: --help anywhere wins, unknown flags and extra arguments are refused", () => {
    for (const argv of [["--help"], ["-h"], ["help"], ["up", "--help"], ["up", "-h"], ["down", "--purge", "-h"]])
      expect(parseCommand(argv), argv.join(" ")).to.deep.equal({ kind: "help", code: 0 });
    expect(parseCommand([])).to.deep.equal({ kind: "help", code: 2 });
    expect(parseCommand(["up", "--skip-install"])).to.deep.equal({ kind: "up", skipInstall: true, guests: false });
    expect(parseCommand(["up", "--guests"])).to.deep.equal({ kind: "up", skipInstall: false, guests: true });
    expect(parseCommand(["down"])).to.deep.equal({ kind: "down", purge: false });
    expect(parseCommand(["env"])).to.deep.equal({ kind: "env", cloud: "minicloud-a" });
    expect(parseCommand(["env", "minicloud-b"])).to.deep.equal({ kind: "env", cloud: "minicloud-b" });
    const typo = parseCommand(["down", "--purg"]);
    expect(typo.kind).to.equal("error");
    expect((typo as { message: string }).message).to.match(/^down: Unknown option '--purg'/);
    expect(parseCommand(["up", "now"])).to.deep.equal({
      kind: "error",
      message: "up: unexpected argument 'now' (up takes none)",
    });
    expect(parseCommand(["upp"])).to.deep.equal({ kind: "error", message: "unknown command 'upp'" });
  });

  it("`minicloud up --help` prints the usage, exits 0 at once and creates nothing", () => {
    for (const args of [["up", "--help"], ["up", "-h"], ["down", "--purge", "--help"], ["status", "-h"], ["--help"]]) {
      const run = minicloud(...args);
      expect(run.status, `${args.join(" ")}: ${run.stderr}`).to.equal(0);
      expect(run.stdout).to.equal(USAGE);
      expect(run.ms, "quick exit").to.be.below(20000);
    }
    expect(createdIn()).to.deep.equal([]);
  });

  it("refuses a mistyped flag with exit 2 before anything runs", () => {
    const run = minicloud("up", "--skip-instal");
    expect(run.status).to.equal(2);
    expect(run.stderr).to.contain("minicloud: up: Unknown option '--skip-instal'").and.contain("usage: minicloud");
    expect(run.stderr, "no action module was loaded").not.to.contain("guard:");
    expect(minicloud("frobnicate").status).to.equal(2);
    expect(createdIn()).to.deep.equal([]);
  });

  it("the guard itself works: an acting command is stopped by it, not run", () => {
    // Proves the tests above would have caught a --help that fell through to `up`.
    const run = minicloud("status");
    expect(run.status).to.equal(1);
    expect(run.stderr).to.contain("guard: the CLI loaded control");
    expect(createdIn()).to.deep.equal([]);
  });
});
