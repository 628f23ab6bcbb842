import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseCloudConfig, CloudConfigUser } from "../../src/cloudinit/cloud-config";
import {
  colordPolkitRule,
  DESKTOP_SETUP_SCRIPT_PATH,
  desktopSetupScript,
  desktopStackCloudConfig,
  employeeCloudConfig,
  mergeCloudConfigs,
  renderDesktopUserData,
} from "../../src/desktop/desktop-user-data";
import { sha512Crypt } from "../../src/desktop/sha512-crypt";
import { assertValidCloudConfig, assertValidShellScript } from "@openstack-blueprints/test-harness";

const HASH = sha512Crypt("not-a-real-password", { salt: "unitTestSalt0123" });
const ADMIN_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBlueprintsTestKeyOnlyNotARealOneAAAAAAAAAAAAA admin@example";

describe("desktop user data", () => {
  it("renders a complete desktop document that real cloud-init accepts", () => {
    const text = renderDesktopUserData(
      { extraPackages: ["libreoffice", "gimp"] },
      {
        user: "alice",
        fullName: "Alice A.",
        hashedPassword: HASH,
        hostname: "office-alice",
        adminUser: "deskadmin",
        adminPublicKey: ADMIN_KEY,
      },
    );
    assertValidCloudConfig(text, "desktop user data");
    const doc = parseCloudConfig(text);
    expect(doc.packages).to.deep.equal(["xrdp", "xorgxrdp", "xfce4", "dbus-x11", "ssl-cert", "libreoffice", "gimp"]);
    expect(doc.hostname).to.equal("office-alice");
    expect(doc.manage_etc_hosts).to.equal(true);
    expect(doc.ssh_pwauth).to.equal(false);
    expect(doc.chpasswd).to.deep.equal({ expire: false });
    expect(doc.groups).to.deep.equal(["tsusers"]);
    const [alice, admin] = doc.users as CloudConfigUser[];
    expect(alice).to.include({ name: "alice", lock_passwd: false, hashed_passwd: HASH, gecos: "Alice A." });
    expect(alice.groups).to.deep.equal(["tsusers"]);
    expect(admin).to.include({ name: "deskadmin", lock_passwd: true });
    expect(admin.ssh_authorized_keys).to.deep.equal([ADMIN_KEY]);
    expect(doc.runcmd).to.deep.equal([[DESKTOP_SETUP_SCRIPT_PATH]]);
    expect(text).not.to.contain("not-a-real-password");
    expect(text).not.to.match(/\n(password|chpasswd:\n\s+list):/);
  });

  it("keeps the stack part identical across employees, so baked images can reuse it", () => {
    const a = desktopStackCloudConfig({ extraPackages: ["gimp"] });
    const b = desktopStackCloudConfig({ extraPackages: ["gimp"] });
    expect(a).to.deep.equal(b);
    expect(JSON.stringify(a)).not.to.contain("alice");
    assertValidCloudConfig(
      renderDesktopUserData({}, { user: "bob", hashedPassword: HASH, hostname: "office-bob" }),
      "without admin",
    );
    // The employee part alone is a valid document too (what a baked image boots with).
    const employeeOnly = mergeCloudConfigs(
      employeeCloudConfig({ user: "bob", hashedPassword: HASH, hostname: "office-bob" }),
      { runcmd: [[DESKTOP_SETUP_SCRIPT_PATH]] },
    );
    assertValidCloudConfig(`#cloud-config\n${JSON.stringify(employeeOnly)}`, "employee part");
  });

  it("writes the hardening script and the colord polkit rule, and the script passes shellcheck", () => {
    const stack = desktopStackCloudConfig({
      rdpGroup: "desktop-users",
      disconnectedTimeLimitSeconds: 3600,
      idleTimeLimitSeconds: 0,
    });
    const files = stack.write_files ?? [];
    const script = files.find((f) => f.path === DESKTOP_SETUP_SCRIPT_PATH);
    expect(script?.permissions).to.equal("0755");
    assertValidShellScript(script!.content, "desktop setup script");
    for (const line of [
      "AllowRootLogin false",
      "TerminalServerUsers 'desktop-users'",
      "AlwaysGroupCheck true",
      "security_layer tls",
      "DisconnectedTimeLimit 3600",
      "IdleTimeLimit 0",
    ]) {
      expect(script!.content).to.contain(line);
    }
    const rule = files.find((f) => f.path.startsWith("/etc/polkit-1/rules.d/"));
    expect(rule?.content).to.equal(colordPolkitRule("desktop-users"));
    expect(rule?.content).to.contain("org.freedesktop.color-manager.");
    // The rule is JavaScript polkit evaluates: it must at least parse.
    expect(() => new Function("polkit", rule!.content)).not.to.throw();
  });

  it("installs nothing when the image already has the desktop (baked image, offline guest)", () => {
    const baked = desktopStackCloudConfig({ installPackages: false, installRecommends: false });
    expect(baked.packages).to.equal(undefined);
    expect(baked.package_update).to.equal(undefined);
    expect(baked.apt).to.equal(undefined);
    expect(baked.runcmd).to.deep.equal([[DESKTOP_SETUP_SCRIPT_PATH]]);
    assertValidCloudConfig(
      renderDesktopUserData({ installPackages: false }, { user: "bob", hashedPassword: HASH, hostname: "office-bob" }),
      "baked",
    );
  });

  it("installs without recommends only when asked", () => {
    expect(desktopStackCloudConfig({}).apt).to.equal(undefined);
    expect(desktopStackCloudConfig({ installRecommends: false }).apt).to.deep.equal({
      conf: 'APT::Install-Recommends "false";\n',
    });
  });

  it("refuses clear passwords, bad names, bad packages and half an admin", () => {
    expect(() => employeeCloudConfig({ user: "alice", hashedPassword: "hunter2", hostname: "h" })).to.throw(
      "not a SHA-512 crypt hash",
    );
    expect(() => employeeCloudConfig({ user: "Alice", hashedPassword: HASH, hostname: "h" })).to.throw('user "Alice"');
    expect(() =>
      employeeCloudConfig({ user: "alice", hashedPassword: HASH, hostname: "h", adminUser: "ops" }),
    ).to.throw("go together");
    expect(() =>
      employeeCloudConfig({
        user: "alice",
        hashedPassword: HASH,
        hostname: "h",
        adminUser: "ops",
        adminPublicKey: "hello",
      }),
    ).to.throw("OpenSSH public key");
    expect(() => desktopStackCloudConfig({ extraPackages: ["gimp; rm -rf /"] })).to.throw(
      'extraPackages[0] "gimp; rm -rf /"',
    );
    expect(() => desktopStackCloudConfig({ rdpGroup: "Bad Group" })).to.throw('rdpGroup "Bad Group"');
    expect(() =>
      renderDesktopUserData({ rdpGroup: "a" }, { user: "alice", hashedPassword: HASH, hostname: "h", rdpGroup: "b" }),
    ).to.throw("same group");
    expect(() => mergeCloudConfigs({ hostname: "a" }, { hostname: "b" })).to.throw('disagree on "hostname"');
  });

  it("edits xrdp's ini files exactly and idempotently (the script's set_ini, run by bash)", () => {
    const script = desktopSetupScript({ rdpGroup: "tsusers" });
    const fn = script.slice(script.indexOf("set_ini() {"), script.indexOf("\n}\n", script.indexOf("set_ini() {")) + 3);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dt-ini-"));
    try {
      const ini = path.join(dir, "sesman.ini");
      const original = [
        "[Globals]",
        "ListenAddress=127.0.0.1",
        "",
        "[Security]",
        "AllowRootLogin=true",
        "MaxLoginRetry=4",
        "TerminalServerUsers=tsusers",
        "#AlwaysGroupCheck=true",
        "AlwaysGroupCheck = false",
        "",
        "[Sessions]",
        "X11DisplayOffset=10",
        "",
      ].join("\n");
      fs.writeFileSync(ini, original);
      const run = () =>
        spawnSync(
          "bash",
          [
            "-c",
            `set -euo pipefail\nchanged=0\n${fn}\nset_ini "$1" Security AllowRootLogin false\nset_ini "$1" Security AlwaysGroupCheck true\nset_ini "$1" Sessions IdleTimeLimit 0\nset_ini "$1" Logging LogLevel INFO\necho "changed=$changed"`,
            "x",
            ini,
          ],
          { encoding: "utf8" },
        );
      const first = run();
      expect(first.status, first.stderr).to.equal(0);
      expect(first.stdout).to.contain("changed=1");
      const edited = fs.readFileSync(ini, "utf8").split("\n");
      expect(edited).to.include("AllowRootLogin=false").and.not.include("AllowRootLogin=true");
      expect(edited)
        .to.include("AlwaysGroupCheck=true")
        .and.include("#AlwaysGroupCheck=true")
        .and.not.include("AlwaysGroupCheck = false");
      expect(edited.indexOf("IdleTimeLimit=0")).to.be.greaterThan(edited.indexOf("[Sessions]"));
      expect(edited.slice(edited.indexOf("[Logging]"))).to.deep.equal(["[Logging]", "LogLevel=INFO", ""]);
      expect(edited[edited.indexOf("IdleTimeLimit=0") - 1]).to.equal("X11DisplayOffset=10");
      expect(edited).to.include("ListenAddress=127.0.0.1").and.include("MaxLoginRetry=4");
      const second = run();
      expect(second.stdout.trim()).to.equal("changed=0");
      expect(fs.readFileSync(ini, "utf8")).to.equal(edited.join("\n"));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
