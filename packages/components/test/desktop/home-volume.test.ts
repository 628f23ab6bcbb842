/**
 * The home volume's guest side: the user data that carries it (checked by the real
 * `cloud-init schema`), and the mount script run for real, as root, on loop devices standing in
 * for the Cinder volume (a by-id directory of its own links the "serial" to the loop device, the
 * mount point and fstab are scratch files): blank → formatted and mounted; a second run changes
 * nothing; a new server (fresh fstab, nothing mounted) mounts the existing file system without
 * formatting it; a disk holding anything but a file system is never formatted.
 * Each run goes through cloud-init's own bootcmd path: the document's list, shellified by
 * cloud-init's util.shellify, run by /bin/sh.
 * Needs root, losetup, mkfs.ext4 and cloud-init; elsewhere the real runs skip with the reason (under CI
 * they fail). The guest's own discovery through udev's by-id links is proved on minicloud's real
 * guests (test/engine/desktops-guests.engine.test.ts: the office's desktops, rebuilt).
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { assertValidCloudConfig, assertValidShellScript } from "@openstack-blueprints/test-harness";
import { parseCloudConfig } from "../../src/cloudinit/cloud-config";
import {
  DESKTOP_SETUP_SCRIPT_PATH,
  renderBakedDesktopUserData,
  renderDesktopUserData,
} from "../../src/desktop/desktop-user-data";
import {
  HOME_VOLUME_LABEL,
  homeOwnershipScript,
  homeVolumeCloudConfig,
  homeVolumeMountScript,
} from "../../src/desktop/home-volume";
import { JUPYTER_SETUP_SCRIPT_PATH, renderJupyterUserData } from "../../src/desktop/jupyter-user-data";
import { jupyterPasswordHash, sha512Crypt } from "../../src/desktop/sha512-crypt";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const HASH = sha512Crypt("not-a-real-password", { salt: "homeVolumeSalt01" });
const ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHomeVolumeTestKeyNotRealAAAAAAAAAAAAAAAAAAAAAA admin@example";
const VOLUME_ID = "0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0";
const EMPLOYEE = {
  user: "alice",
  hashedPassword: HASH,
  hostname: "office-alice",
  adminUser: "deskadmin",
  adminPublicKey: ADMIN_KEY,
};

describe("home volume: the user data that mounts it", () => {
  it("mounts at bootcmd (before the users module) and checks ownership first in runcmd, in every workspace", () => {
    const desktop = renderDesktopUserData({}, { ...EMPLOYEE, homeVolumeId: VOLUME_ID });
    const baked = renderBakedDesktopUserData({ ...EMPLOYEE, homeVolumeId: VOLUME_ID });
    const jupyter = renderJupyterUserData(
      {},
      { ...EMPLOYEE, passwordHash: jupyterPasswordHash("not-a-real-secret", "homeSalt"), homeVolumeId: VOLUME_ID },
    );
    for (const [label, text, setup] of [
      ["desktop", desktop, DESKTOP_SETUP_SCRIPT_PATH],
      ["baked desktop", baked, DESKTOP_SETUP_SCRIPT_PATH],
      ["jupyter", jupyter, JUPYTER_SETUP_SCRIPT_PATH],
    ] as const) {
      assertValidCloudConfig(text, `${label} user data with a home volume`);
      const doc = parseCloudConfig(text);
      expect(doc.bootcmd, label).to.deep.equal([
        ["bash", "-c", homeVolumeMountScript(), "blueprints-home-volume", VOLUME_ID],
      ]);
      expect(doc.runcmd, label).to.deep.equal([
        ["bash", "-c", homeOwnershipScript(), "blueprints-home-owner", "alice", "deskadmin"],
        [setup],
      ]);
    }
    // Without a home volume nothing of it is in the document (existing desktops keep their user data).
    for (const text of [
      renderDesktopUserData({}, EMPLOYEE),
      renderBakedDesktopUserData(EMPLOYEE),
      renderJupyterUserData({}, { ...EMPLOYEE, passwordHash: jupyterPasswordHash("not-a-real-secret", "homeSalt") }),
    ]) {
      expect(parseCloudConfig(text).bootcmd).to.equal(undefined);
      expect(text).not.to.contain("blueprints-home");
    }
  });

  it("renders scripts that pass bash -n and shellcheck, and refuses an ID that is not one", () => {
    assertValidShellScript(homeVolumeMountScript(), "home volume mount script");
    assertValidShellScript(homeOwnershipScript(), "home ownership script");
    expect(() => homeVolumeCloudConfig("x; rm -rf /", ["alice"])).to.throw("is not a volume ID");
    expect(() => homeVolumeCloudConfig(VOLUME_ID, [])).to.throw("name the users");
    expect(() => homeVolumeCloudConfig(VOLUME_ID, ["Bad User"])).to.throw();
  });
});

interface ScriptRun {
  status: number | null;
  stdout: string;
  stderr: string;
}

describe("home volume: the mount script, run for real on loop devices", function () {
  this.timeout(120_000);
  let dir = "";
  const loops: string[] = [];
  let byId = "";
  let home = "";
  let fstab = "";
  let scriptFile = "";

  before(function () {
    const missing = ["losetup", "mkfs.ext4", "blkid", "findmnt", "mount"].filter(
      (tool) => spawnSync("sh", ["-c", `command -v ${tool}`]).status !== 0,
    );
    // cloud-init's own module (Debian's python3-cloud-init) turns bootcmd into the script it runs.
    if (spawnSync("/usr/bin/python3", ["-c", "import cloudinit.util"]).status !== 0) missing.push("cloud-init");
    const why =
      process.getuid?.() !== 0
        ? "root is needed (loop devices, mkfs, mount)"
        : missing.length > 0
          ? `missing tools: ${missing.join(", ")}`
          : "";
    if (why) unavailableHere(this, why);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "home-volume-"));
    byId = path.join(dir, "by-id");
    home = path.join(dir, "home");
    fstab = path.join(dir, "fstab");
    fs.mkdirSync(byId);
    fs.writeFileSync(fstab, "# a fresh server's fstab\nUUID=0000-root / ext4 defaults 0 1\n");
    scriptFile = path.join(dir, "bootcmd.sh");
  });

  after(() => {
    if (home) spawnSync("umount", [home]);
    for (const loop of loops) spawnSync("losetup", ["-d", loop]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** A loop device over a sparse file of `mib` MiB, linked in the by-id directory as a virtio disk with `serial`. */
  function disk(name: string, mib: number, serial: string): { file: string; device: string } {
    const file = path.join(dir, `${name}.img`);
    fs.writeFileSync(file, "");
    fs.truncateSync(file, mib * 1024 * 1024);
    const r = spawnSync("losetup", ["-f", "--show", file], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`losetup: ${r.stderr}`);
    const device = r.stdout.trim();
    loops.push(device);
    fs.symlinkSync(device, path.join(byId, `virtio-${serial.slice(0, 20)}`));
    return { file, device };
  }

  /**
   * Runs the mount step as cloud-init's bootcmd module does: the document's bootcmd list turned
   * into a shell script by cloud-init's own util.shellify, run by /bin/sh.
   */
  function run(volumeId: string, waitSeconds = 3): ScriptRun {
    const bootcmd = homeVolumeCloudConfig(volumeId, ["alice"]).bootcmd;
    const shellified = spawnSync(
      "/usr/bin/python3",
      ["-c", "import json, sys\nfrom cloudinit import util\nsys.stdout.write(util.shellify(json.load(sys.stdin)))"],
      { input: JSON.stringify(bootcmd), encoding: "utf8" },
    );
    if (shellified.status !== 0) throw new Error(`cloud-init's shellify failed: ${shellified.stderr}`);
    fs.writeFileSync(scriptFile, shellified.stdout);
    const r = spawnSync("/bin/sh", [scriptFile], {
      encoding: "utf8",
      env: {
        ...process.env,
        BLUEPRINTS_DISK_BY_ID: byId,
        BLUEPRINTS_HOME_MOUNT: home,
        BLUEPRINTS_FSTAB: fstab,
        BLUEPRINTS_HOME_WAIT_SECONDS: String(waitSeconds),
      },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  const blkid = (device: string, tag: string) =>
    spawnSync("blkid", ["-p", "-o", "value", "-s", tag, device], { encoding: "utf8" }).stdout.trim();
  const mountedSource = () =>
    spawnSync("findmnt", ["-n", "-o", "SOURCE", "--mountpoint", home], { encoding: "utf8" }).stdout.trim();

  const ALICE = "11111111-2222-4333-8444-555555555555";
  let alice: { file: string; device: string };

  it("a blank volume gets an ext4 file system, an fstab entry by UUID with nofail, and is mounted", () => {
    alice = disk("alice", 64, ALICE);
    const first = run(ALICE);
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.contain(`changed: made an ext4 file system on ${alice.device}`);
    expect(first.stdout).to.contain(`changed: mounted ${alice.device} at ${home}`);
    expect(blkid(alice.device, "TYPE")).to.equal("ext4");
    expect(blkid(alice.device, "LABEL")).to.equal(HOME_VOLUME_LABEL);
    const uuid = blkid(alice.device, "UUID");
    expect(fs.readFileSync(fstab, "utf8")).to.equal(
      "# a fresh server's fstab\nUUID=0000-root / ext4 defaults 0 1\n" +
        `# BEGIN blueprints-home-volume\nUUID=${uuid} ${home} ext4 defaults,nofail 0 2\n# END blueprints-home-volume\n`,
    );
    expect(mountedSource()).to.equal(alice.device);
    fs.mkdirSync(path.join(home, "alice"));
    fs.writeFileSync(path.join(home, "alice", "thesis.odt"), "chapter one");
  });

  it("a second run changes nothing", () => {
    const fstabBefore = fs.readFileSync(fstab, "utf8");
    const again = run(ALICE);
    expect(again.status, again.stderr).to.equal(0);
    expect(again.stdout).to.equal("");
    expect(fs.readFileSync(fstab, "utf8")).to.equal(fstabBefore);
    expect(mountedSource()).to.equal(alice.device);
  });

  it("a new server (fresh fstab, nothing mounted) mounts the existing file system and never reformats it", () => {
    const uuid = blkid(alice.device, "UUID");
    expect(spawnSync("umount", [home]).status).to.equal(0);
    fs.writeFileSync(fstab, "UUID=0000-root / ext4 defaults 0 1\n");
    const rebuilt = run(ALICE);
    expect(rebuilt.status, rebuilt.stderr).to.equal(0);
    expect(rebuilt.stdout).not.to.contain("file system on");
    expect(rebuilt.stdout).to.contain(`changed: mounted ${alice.device} at ${home}`);
    expect(blkid(alice.device, "UUID"), "the same file system").to.equal(uuid);
    expect(fs.readFileSync(path.join(home, "alice", "thesis.odt"), "utf8")).to.equal("chapter one");
  });

  it("a grown volume's file system is grown (or, where the kernel refuses online resizing, left usable with a warning)", () => {
    fs.truncateSync(alice.file, 128 * 1024 * 1024);
    expect(spawnSync("losetup", ["-c", alice.device]).status).to.equal(0);
    const grown = run(ALICE);
    expect(grown.status, grown.stderr).to.equal(0);
    const sizeKiB = Number(
      spawnSync("df", ["--output=size", "-k", home], { encoding: "utf8" }).stdout.trim().split("\n")[1],
    );
    if (grown.stdout.includes("changed: grew the file system")) {
      expect(sizeKiB).to.be.greaterThan(100 * 1024);
    } else {
      // Containers often deny the ext4 resize ioctl; a real guest (root, own kernel) does not.
      expect(grown.stderr).to.contain("resize2fs").and.contain("warning");
      console.log(`    online resize refused here: ${grown.stderr.trim().split("\n").pop()}`);
    }
    expect(fs.readFileSync(path.join(home, "alice", "thesis.odt"), "utf8")).to.equal("chapter one");
    expect(spawnSync("umount", [home]).status).to.equal(0);
  });

  it("never formats a disk that holds bytes without a file system, or a partition table", () => {
    const BOB = "22222222-3333-4444-8555-666666666666";
    const bob = disk("bob", 16, BOB);
    const data = Buffer.from("someone's data, no signature ".repeat(10));
    const fd = fs.openSync(bob.device, "r+");
    fs.writeSync(fd, data, 0, data.length, 4096);
    fs.closeSync(fd);
    fs.writeFileSync(fstab, "");
    const refused = run(BOB);
    expect(refused.status).to.equal(1);
    expect(refused.stderr).to.contain("is not blank; it is left alone (never formatted)");
    const back = Buffer.alloc(data.length);
    const fd2 = fs.openSync(bob.device, "r");
    fs.readSync(fd2, back, 0, back.length, 4096);
    fs.closeSync(fd2);
    expect(back.equals(data), "the bytes are untouched").to.equal(true);
    expect(blkid(bob.device, "TYPE")).to.equal("");
    expect(mountedSource()).to.equal("");

    const CAROL = "33333333-4444-4555-8666-777777777777";
    const carol = disk("carol", 16, CAROL);
    const sfdisk = spawnSync("sfdisk", ["-q", carol.device], { input: "label: gpt\n,\n", encoding: "utf8" });
    if (sfdisk.error) {
      console.log("    (sfdisk missing: the partition-table case is not run)");
      return;
    }
    expect(sfdisk.status, sfdisk.stderr).to.equal(0);
    const partitioned = run(CAROL);
    expect(partitioned.status).to.equal(1);
    expect(partitioned.stderr).to.contain("PTTYPE=gpt").and.contain("never formatted");
    expect(blkid(carol.device, "PTTYPE")).to.equal("gpt");
  });

  it("names a missing volume and refuses an fstab that already mounts something at the mount point", () => {
    const missing = run("99999999-0000-4000-8000-000000000000", 2);
    expect(missing.status).to.equal(1);
    expect(missing.stderr).to.contain("no disk with serial 99999999-0000-4000-8 ");
    fs.writeFileSync(fstab, `/dev/vdb ${home} xfs defaults 0 2\n`);
    const clash = run(ALICE);
    expect(clash.status).to.equal(1);
    expect(clash.stderr).to.contain(`already mounts something at ${home}`);
    expect(mountedSource()).to.equal("");
  });
});

describe("home volume: the ownership step, run for real (a user of the new server with another uid)", function () {
  this.timeout(60_000);
  let dir = "";

  before(function () {
    const unshare = spawnSync("unshare", ["-m", "true"]);
    const why =
      process.getuid?.() !== 0
        ? "root is needed (a private mount namespace with its own /etc/passwd)"
        : unshare.status !== 0
          ? `unshare -m does not work here: ${unshare.stderr?.toString().trim() ?? unshare.error?.message}`
          : "";
    if (why) unavailableHere(this, why);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "home-owner-"));
  });

  after(() => {
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("hands the home back to the user's new uid and gid, leaving files of other owners alone; a second run changes nothing", () => {
    const home = path.join(dir, "home", "hvuser");
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(path.join(home, "thesis.odt"), "chapter one");
    fs.writeFileSync(path.join(home, "shared.txt"), "from a colleague");
    fs.symlinkSync("thesis.odt", path.join(home, "latest"));
    // The old server's uid 4242; a file someone else (uid 5000) left there.
    spawnSync("chown", ["-R", "-h", "4242:4242", home]);
    spawnSync("chown", ["5000:5000", path.join(home, "shared.txt")]);
    // The new server's user database: hvuser is now uid 4343 (only inside the namespace below).
    const passwd = path.join(dir, "passwd");
    fs.writeFileSync(passwd, `${fs.readFileSync("/etc/passwd", "utf8")}hvuser:x:4343:4343::${home}:/bin/bash\n`);
    const script = path.join(dir, "owner.sh");
    fs.writeFileSync(script, homeOwnershipScript());
    const run = () =>
      spawnSync(
        "unshare",
        [
          "-m",
          "sh",
          "-c",
          'mount --make-rprivate / && mount --bind "$1" /etc/passwd && bash "$2" hvuser',
          "x",
          passwd,
          script,
        ],
        { encoding: "utf8" },
      );
    const first = run();
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout).to.contain(`changed: ${home} belonged to uid 4242; now to hvuser (4343)`);
    expect(first.stdout).to.contain(`changed: ${home} had gid 4242; now hvuser's group (4343)`);
    const owner = (p: string) => spawnSync("stat", ["-c", "%u:%g", p], { encoding: "utf8" }).stdout.trim();
    expect(owner(home)).to.equal("4343:4343");
    expect(owner(path.join(home, "thesis.odt"))).to.equal("4343:4343");
    expect(
      spawnSync("stat", ["-c", "%u:%g", "-L", path.join(home, "latest")], { encoding: "utf8" }).stdout.trim(),
    ).to.equal("4343:4343");
    expect(owner(path.join(home, "shared.txt")), "another owner's file keeps its owner").to.equal("5000:5000");
    const second = run();
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout).to.equal("");
    expect(fs.readFileSync("/etc/passwd", "utf8"), "the host's user database is untouched").not.to.contain("hvuser");
  });
});
