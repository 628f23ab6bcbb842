/**
 * minicloud's stand-in for NFS, run for real in a temporary layout: the rendered `mount` wrapper
 * bind-mounts the one share and refuses any other, `mount.nfs` hands over to it, and
 * unmountShares() removes a stale mount (the share's directory made anew under it) in `up` and
 * every mount in `down`. Needs root (bind mounts): skips with the reason elsewhere, fails under
 * CI (BLUEPRINTS_CI=1).
 */
import { spawnSync } from "child_process";
import { expect } from "chai";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Layout } from "../src/layout";
import { mountNfsSh, mountPoints, mountWrapperSh, storagePaths, unmountShares } from "../src/storage";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

describe("minicloud storage: the NFS share's bind-mount stand-in", function () {
  let root = "";
  let layout: Layout;

  before(function () {
    if (process.getuid?.() !== 0) unavailableHere(this, "bind mounts need root");
    root = fs.mkdtempSync(path.join(os.tmpdir(), "minicloud-storage-"));
    layout = {
      stateDir: path.join(root, "state"),
      runDir: path.join(root, "state", "run"),
      logDir: path.join(root, "log"),
      configDir: path.join(root, "etc"),
      cloudsYaml: path.join(root, "clouds.yaml"),
    };
    const p = storagePaths(layout);
    fs.mkdirSync(p.binDir, { recursive: true });
    fs.writeFileSync(path.join(p.binDir, "mount"), mountWrapperSh(p), { mode: 0o700 });
    fs.writeFileSync(path.join(p.binDir, "mount.nfs"), mountNfsSh(p), { mode: 0o700 });
    for (const d of [p.exportDir, p.cinderMountBase, p.novaMountBase]) fs.mkdirSync(d, { recursive: true });
  });

  after(function () {
    if (!root) return;
    for (const m of mountPoints()
      .filter((m) => m.startsWith(root))
      .reverse())
      spawnSync("umount", ["-l", m]);
    fs.rmSync(root, { recursive: true, force: true });
  });

  const run = (cmd: string, args: string[]) =>
    spawnSync(path.join(storagePaths(layout).binDir, cmd), args, { encoding: "utf8" });

  it("passes shellcheck", function () {
    if (spawnSync("sh", ["-c", "command -v shellcheck"]).status !== 0)
      unavailableHere(this, "shellcheck is not installed (apt-get install shellcheck)");
    const p = storagePaths(layout);
    const r = spawnSync("shellcheck", [path.join(p.binDir, "mount"), path.join(p.binDir, "mount.nfs")], {
      encoding: "utf8",
    });
    expect(r.status, r.stdout).to.equal(0);
  });

  it("mounts the share as a bind mount of its directory, as Cinder and Nova ask for it", () => {
    const p = storagePaths(layout);
    fs.writeFileSync(path.join(p.exportDir, "volume-x"), "data");
    const mp = path.join(p.cinderMountBase, "h1");
    fs.mkdirSync(mp);
    const r = run("mount", ["-t", "nfs", "-o", "vers=4,minorversion=1", p.share, mp]);
    expect(r.status, r.stderr).to.equal(0);
    expect(fs.readFileSync(path.join(mp, "volume-x"), "utf8")).to.equal("data");
    // mount.nfs's calling convention (share, dir, options after) reaches the same bind mount.
    const mp2 = path.join(p.novaMountBase, "h1");
    fs.mkdirSync(mp2);
    expect(run("mount.nfs", [p.share, mp2, "-o", "vers=4"]).status).to.equal(0);
    expect(mountPoints()).to.include.members([mp, mp2]);
  });

  it("refuses any other NFS share with mount's failure code, and mount.nfs without arguments", () => {
    const mp = path.join(storagePaths(layout).cinderMountBase, "other");
    fs.mkdirSync(mp);
    const r = run("mount", ["-t", "nfs", "192.0.2.1:/export", mp]);
    expect(r.status).to.equal(32);
    expect(r.stderr).to.contain("only its own share");
    expect(mountPoints()).to.not.include(mp);
    expect(run("mount.nfs", []).status).to.equal(1);
  });

  it("up removes stale mounts (the share's directory made anew), keeps a current one; down removes all", () => {
    const p = storagePaths(layout);
    const staleNova = path.join(p.novaMountBase, "h1");
    const staleCinder = path.join(p.cinderMountBase, "h1");
    // A killed run's mount, then the state made again: the mount still shows the old directory.
    fs.renameSync(p.exportDir, `${p.exportDir}.old`);
    fs.mkdirSync(p.exportDir);
    const fresh = path.join(p.novaMountBase, "h2");
    fs.mkdirSync(fresh);
    expect(run("mount", ["-t", "nfs", p.share, fresh]).status).to.equal(0);
    const removed = unmountShares(layout, () => undefined, false);
    expect(removed.sort()).to.deep.equal([staleNova, staleCinder].sort());
    expect(mountPoints()).to.include(fresh);
    expect(unmountShares(layout, () => undefined, true)).to.deep.equal([fresh]);
    expect(mountPoints().filter((m) => m.startsWith(root))).to.deep.equal([]);
  });
});
