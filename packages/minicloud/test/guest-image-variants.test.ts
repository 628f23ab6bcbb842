/**
 * The guest image's desktop variant (build-guest-image.sh --variant desktop) must carry every
 * package the desktop pool would otherwise install at first boot: minicloud's guests have no
 * internet, so a pool on them runs with imageHasDesktopPackages and installs nothing; the same
 * image serves the pool's Jupyter workspace (server "notebook"), so it carries those packages too
 * (test/engine/jupyter-guests.engine.test.ts boots it). Also how
 * the script takes its variant: its own cache folder, and an unknown variant refused before any
 * build. Fast (no build): the image itself is booted by test/engine/desktops-guests.engine.test.ts.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DESKTOP_BASE_PACKAGES } from "@openstack-blueprints/components/src/desktop/desktop-user-data";
import { JUPYTER_NOTEBOOK_PACKAGES } from "@openstack-blueprints/components/src/desktop/jupyter-user-data";

const dir = path.join(__dirname, "..", "guest-image");
const script = path.join(dir, "build-guest-image.sh");

function listed(file: string): string[] {
  return fs
    .readFileSync(path.join(dir, file), "utf8")
    .split("\n")
    .map((l) => l.replace(/#.*/, "").trim())
    .filter((l) => l !== "");
}

describe("minicloud guest image variants", () => {
  it("the desktop variant bakes every package of the desktop pool's stack and of its Jupyter workspace, and nothing the base image has", () => {
    const desktop = listed("packages-desktop.txt");
    expect(desktop).to.include.members([...DESKTOP_BASE_PACKAGES]);
    expect(desktop).to.include.members([...JUPYTER_NOTEBOOK_PACKAGES]);
    expect(desktop.filter((p) => listed("packages.txt").includes(p))).to.deep.equal([]);
  });

  it("refuses an unknown variant or argument before building anything", () => {
    const cache = fs.mkdtempSync(path.join(os.tmpdir(), "guest-image-variants-"));
    try {
      const env = { ...process.env, BLUEPRINTS_CACHE_DIR: cache };
      const unknown = spawnSync("bash", [script, "--variant", "gpu", "--print-dir"], { encoding: "utf8", env });
      expect(unknown.status).to.equal(2);
      expect(unknown.stderr).to.contain("no variant 'gpu'").and.contain("packages-gpu.txt");
      const bad = spawnSync("bash", [script, "--frobnicate"], { encoding: "utf8", env });
      expect(bad.status).to.equal(2);
      expect(bad.stderr).to.contain("unknown argument '--frobnicate'");
      // --print-dir of a recipe not built here: exit 1, nothing written.
      const notBuilt = spawnSync("bash", [script, "--variant", "desktop", "--print-dir"], { encoding: "utf8", env });
      expect(notBuilt.status).to.equal(1);
      expect(fs.readdirSync(cache)).to.deep.equal([]);
    } finally {
      fs.rmSync(cache, { recursive: true, force: true });
    }
  });
});
