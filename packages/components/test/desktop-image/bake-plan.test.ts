import { expect } from "chai";
import { parseCloudConfig } from "../../src/cloudinit/cloud-config";
import {
  BAKE_FINISH_SCRIPT_PATH,
  bakeConsoleState,
  bakeFinishScript,
  desktopPackageHash,
  planDesktopBake,
} from "../../src/desktop-image/bake-plan";
import {
  DESKTOP_SETUP_SCRIPT_PATH,
  desktopStackCloudConfig,
  renderDesktopUserData,
} from "../../src/desktop/desktop-user-data";
import { sha512Crypt } from "../../src/desktop/sha512-crypt";
import { assertValidCloudConfig, assertValidShellScript } from "@openstack-blueprints/test-harness";

const BASE = "0b6c1d52-5a0e-4bd4-9a4c-3a6e4b7f7a11";

describe("desktop image bake plan", () => {
  it("bake user data = the desktop stack part + a finishing script; real cloud-init accepts it; no per-employee data", () => {
    const plan = planDesktopBake({
      baseImage: BASE,
      osDistro: "debian",
      osVersion: "12",
      namePrefix: "office-xrdp",
      stack: { extraPackages: ["libreoffice"] },
    });
    assertValidCloudConfig(plan.userData, "bake user data");
    const doc = parseCloudConfig(plan.userData);
    const stack = desktopStackCloudConfig({ extraPackages: ["libreoffice"] });
    expect(doc.packages).to.deep.equal(stack.packages);
    expect(doc.package_update).to.equal(true);
    expect(doc.groups).to.deep.equal(stack.groups);
    // The stack's files unchanged (same setup script as the cloud-init path), plus the finisher.
    expect(doc.write_files!.slice(0, stack.write_files!.length)).to.deep.equal(stack.write_files);
    expect(doc.write_files!.map((f) => f.path)).to.include(BAKE_FINISH_SCRIPT_PATH);
    expect(doc.runcmd).to.deep.equal([[BAKE_FINISH_SCRIPT_PATH]]);
    for (const key of ["users", "hostname", "fqdn", "chpasswd", "ssh_authorized_keys"])
      expect(doc, key).not.to.have.property(key);
    expect(plan.userData).not.to.match(/\$6\$/);
    // Even a pool that sets installPackages: false bakes the packages.
    const forced = planDesktopBake({
      baseImage: BASE,
      osDistro: "debian",
      namePrefix: "x",
      stack: { installPackages: false },
    });
    expect(parseCloudConfig(forced.userData).packages).to.include("xrdp");
  });

  it("the finishing script passes bash -n and shellcheck, runs the setup script, and prints OK/FAILED markers with the hash", () => {
    const plan = planDesktopBake({ baseImage: BASE, osDistro: "debian", namePrefix: "office-xrdp" });
    const script = plan.cloudConfig.write_files!.find((f) => f.path === BAKE_FINISH_SCRIPT_PATH)!.content;
    assertValidShellScript(script, "bake finish script");
    expect(script).to.contain(DESKTOP_SETUP_SCRIPT_PATH);
    expect(script).to.contain(`BLUEPRINTS-BAKE-OK $hash`);
    expect(script).to.match(new RegExp(`^hash='?${plan.packageHash}'?$`, "m"));
    expect(script).to.contain(": >/etc/machine-id");
    for (const pkg of plan.packages) expect(script).to.contain(pkg);
    assertValidShellScript(bakeFinishScript("", []), "finish script without packages");
  });

  it("names the image by the hash and sets its Glance properties", () => {
    const plan = planDesktopBake({ baseImage: BASE, osDistro: "debian", osVersion: "12", namePrefix: "office-xrdp" });
    expect(plan.packageHash).to.match(/^[0-9a-f]{64}$/);
    expect(plan.imageName).to.equal(`office-xrdp-${plan.packageHash.slice(0, 12)}`);
    expect(plan.properties).to.deep.equal({
      os_distro: "debian",
      os_version: "12",
      desktop: "xrdp",
      blueprints_package_hash: plan.packageHash,
      blueprints_packages: "dbus-x11,ssl-cert,xfce4,xorgxrdp,xrdp",
      blueprints_base_image: BASE,
      blueprints_rdp_group: "tsusers",
    });
    const many = planDesktopBake({
      baseImage: BASE,
      osDistro: "debian",
      namePrefix: "p",
      stack: { extraPackages: Array.from({ length: 40 }, (_, i) => `package-number-${i}`) },
    });
    expect(many.properties.blueprints_packages.length).to.equal(255);
  });

  it("the hash changes exactly when the package set, base image or stack definition changes", () => {
    const h = (base: string, stack = {}) => desktopPackageHash(base, stack);
    const ref = h(BASE, { extraPackages: ["libreoffice", "gimp"] });
    // Same content, different spelling: same hash.
    expect(h(BASE, { extraPackages: ["gimp", "libreoffice"] })).to.equal(ref);
    expect(h(` ${BASE} `, { extraPackages: ["gimp", "libreoffice", "gimp"] })).to.equal(ref);
    expect(h(BASE, { extraPackages: ["libreoffice", "gimp", "xrdp"] })).to.equal(ref); // xrdp is a base package
    expect(h(BASE, { extraPackages: ["libreoffice", "gimp"], installPackages: false })).to.equal(ref);
    // Names, employees, flavors are not inputs at all; the plan's name prefix is not either.
    const a = planDesktopBake({
      baseImage: BASE,
      osDistro: "debian",
      namePrefix: "a",
      stack: { extraPackages: ["gimp"] },
    });
    const b = planDesktopBake({
      baseImage: BASE,
      osDistro: "ubuntu",
      namePrefix: "b",
      stack: { extraPackages: ["gimp"] },
    });
    expect(a.packageHash).to.equal(b.packageHash);
    // Different content: different hash.
    const different = [
      h("another-base-image-id", { extraPackages: ["libreoffice", "gimp"] }),
      h(BASE, { extraPackages: ["libreoffice"] }),
      h(BASE, { extraPackages: ["libreoffice", "gimp", "inkscape"] }),
      h(BASE, { extraPackages: ["libreoffice", "gimp"], installRecommends: false }),
      h(BASE, { extraPackages: ["libreoffice", "gimp"], rdpGroup: "desktopusers" }),
      h(BASE, { extraPackages: ["libreoffice", "gimp"], idleTimeLimitSeconds: 3600 }),
    ];
    expect(new Set([ref, ...different]).size).to.equal(different.length + 1);
  });

  it("reads the console log: only this hash's marker counts; failures carry the reason", () => {
    const hash = "a".repeat(64);
    expect(bakeConsoleState("[  12.3] cloud-init[800]: Setting up xrdp\n", hash)).to.deep.equal({ state: "pending" });
    expect(bakeConsoleState(`x\nBLUEPRINTS-BAKE-OK ${"b".repeat(64)}\n`, hash)).to.deep.equal({ state: "pending" });
    expect(bakeConsoleState(`x\r\n[  99.1] cloud-init[812]: BLUEPRINTS-BAKE-OK ${hash}\r\n`, hash)).to.deep.equal({
      state: "done",
    });
    expect(bakeConsoleState(`BLUEPRINTS-BAKE-FAILED ${hash}: package gimp is not installed\n`, hash)).to.deep.equal({
      state: "failed",
      reason: "package gimp is not installed",
    });
  });

  it("refuses bad input naming the field", () => {
    expect(() => planDesktopBake({ baseImage: "", osDistro: "debian", namePrefix: "x" })).to.throw(/baseImage/);
    expect(() => planDesktopBake({ baseImage: BASE, osDistro: "Debian 12", namePrefix: "x" })).to.throw(
      /osDistro "Debian 12"/,
    );
    expect(() => planDesktopBake({ baseImage: BASE, osDistro: "debian", namePrefix: "-x" })).to.throw(
      /namePrefix "-x"/,
    );
    expect(() =>
      planDesktopBake({ baseImage: BASE, osDistro: "debian", namePrefix: "x", stack: { extraPackages: ["Bad Name"] } }),
    ).to.throw(/extraPackages\[0\]/);
  });

  it("shares the stack definition with the cloud-init path (same setup script content)", () => {
    const plan = planDesktopBake({
      baseImage: BASE,
      osDistro: "debian",
      namePrefix: "x",
      stack: { rdpGroup: "staff" },
    });
    const full = parseCloudConfig(
      renderDesktopUserData(
        { rdpGroup: "staff" },
        {
          user: "alice",
          hashedPassword: sha512Crypt("pw-for-test-only", { salt: "bakePlanTestSalt" }),
          hostname: "x-alice",
          rdpGroup: "staff",
        },
      ),
    );
    const setup = (files: { path: string; content: string }[]) =>
      files.find((f) => f.path === DESKTOP_SETUP_SCRIPT_PATH)!.content;
    expect(setup(plan.cloudConfig.write_files!)).to.equal(setup(full.write_files!));
  });
});
