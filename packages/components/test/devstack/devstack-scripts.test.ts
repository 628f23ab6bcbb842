import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { assertValidShellScript } from "../../../../test/harness/artifacts";
import { validateDevstackSettings } from "../../src/devstack/devstack-spec";
import {
  NAT_HELPER, renderCloneScript, renderDeleteScript, renderExtraVolumeScript, renderNatScript, renderPrecheckScript,
  renderPrepareScript, renderStackScript, renderWriteLocalConfScript,
} from "../../src/devstack/devstack-scripts";

const settings = validateDevstackSettings("t", { hostIp: "192.168.50.10", cpuAllocationRatio: 4 });

describe("DevstackHost scripts", () => {
  const scripts: Record<string, string> = {
    precheck: renderPrecheckScript({ branch: "stable/2026.1", hostIp: "192.168.50.10", minRamMiB: 8000, minFreeDiskGiB: 40, manageEtcHosts: true }),
    prepare: renderPrepareScript({ hostIp: "192.168.50.10", manageEtcHosts: true, extraPackages: ["lvm2"] }),
    prepareNoHosts: renderPrepareScript({ hostIp: "192.168.50.10", manageEtcHosts: false, extraPackages: [] }),
    clone: renderCloneScript({ repoUrl: "https://opendev.org/openstack/devstack", branch: "stable/2026.1" }),
    localConf: renderWriteLocalConfScript(settings),
    stack: renderStackScript("1"),
    deleteAll: renderDeleteScript({ unstack: true, clean: true, rebuildKey: "1" }),
    deleteNone: renderDeleteScript({ unstack: false, clean: false, rebuildKey: "1" }),
    extraVolume: renderExtraVolumeScript({ device: "/dev/vdb", volumeGroup: "stack-volumes-lvmdriver-1" }),
    nat: renderNatScript({ floatingRange: "172.24.4.0/24", proxyArp: true }),
    natHelper: NAT_HELPER,
  };

  for (const [name, script] of Object.entries(scripts)) {
    it(`${name} passes bash -n and shellcheck`, () => assertValidShellScript(script, name));
  }

  it("the local.conf script carries the template but no password, and reads four secrets from stdin", () => {
    const s = scripts.localConf;
    expect(s).to.contain("HOST_IP=192.168.50.10");
    expect(s).to.contain("cpu_allocation_ratio = 4.0");
    expect(s).to.match(/IFS= read -r ADMIN_PASSWORD/);
    expect(s).to.contain("ensure_file /opt/stack/devstack/local.conf 0600 stack:stack");
    expect(s).not.to.match(/PASSWORD=[A-Za-z0-9]/);
  });

  it("the stack.sh runner is guarded by a marker per rebuild key and masks passwords in the tail", () => {
    expect(scripts.stack).to.contain("MARKER='/opt/stack/.openstack-blueprints/stack.sh.1.done'");
    expect(scripts.stack).to.match(/if \[ -e "\$MARKER" \]; then[\s\S]*exit 0/);
    expect(scripts.stack).to.contain("runuser -l stack -c 'cd /opt/stack/devstack && ./stack.sh'");
    expect(scripts.stack).to.contain("'********'");
    expect(() => renderStackScript("a b")).to.throw(/rebuild = "a b" is not a usable rebuild key/);
  });

  it("delete removes the marker only when clean.sh wiped the data", () => {
    expect(scripts.deleteAll).to.contain("./unstack.sh").and.to.contain("./clean.sh").and.to.contain("rm -f '/opt/stack/.openstack-blueprints/stack.sh.1.done'");
    expect(scripts.deleteNone).not.to.contain("unstack.sh").and.not.to.contain("rm -f");
  });

  it("refuses unsafe device and interface names", () => {
    expect(() => renderExtraVolumeScript({ device: "/dev/sdb; reboot", volumeGroup: "vg" })).to.throw(/extraVolumeDevice = .* is not a \/dev path/);
    expect(() => renderNatScript({ floatingRange: "172.24.4.0/24", natInterface: "eth0 x", proxyArp: false })).to.throw(/natInterface/);
    expect(() => renderPrepareScript({ hostIp: "1.2.3.4", manageEtcHosts: true, extraPackages: ["a;b"] })).to.throw(/extraPackages/);
  });

  it("prechecks run for real on this machine: each failure names the check and the fix, nothing changes", () => {
    const bad = renderPrecheckScript({ branch: "stable/2026.1", hostIp: "192.0.2.123", minRamMiB: 10_000_000, minFreeDiskGiB: 1_000_000, manageEtcHosts: false });
    const r = spawnSync("bash", ["-c", bad], { encoding: "utf8" });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/precheck memory failed: \d+ MiB of RAM, need 10000000 MiB\n  fix: /);
    expect(r.stderr).to.match(/precheck disk failed: \d+ GiB free under \/\S*, need 1000000 GiB\n  fix: /);
    expect(r.stderr).to.match(/precheck host-ip failed: 192.0.2.123 is not on any interface of this host\n  fix: set hostIp to one of: /);
    expect(r.stderr).to.contain("nothing on the host was changed");
    const good = renderPrecheckScript({ branch: "stable/2026.1", hostIp: "127.0.0.1", minRamMiB: 1, minFreeDiskGiB: 0, manageEtcHosts: true });
    const g = spawnSync("bash", ["-c", good], { encoding: "utf8" });
    const osRelease = spawnSync("sh", ["-c", ". /etc/os-release; echo $ID:$VERSION_CODENAME"], { encoding: "utf8" }).stdout.trim();
    if (["debian:bookworm", "debian:trixie", "ubuntu:noble"].includes(osRelease)) {
      expect(g.status, g.stderr).to.equal(0);
      expect(g.stdout).to.contain("prechecks passed");
    } else {
      expect(g.stderr).to.contain("precheck distribution failed");
    }
  });
});
