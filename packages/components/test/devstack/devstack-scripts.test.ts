import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { assertValidShellScript } from "@openstack-blueprints/test-harness";
import { validateDevstackSettings } from "../../src/devstack/devstack-plan";
import {
  NAT_HELPER,
  STACK_RUNNER,
  renderCloneScript,
  renderDeleteScript,
  renderExtraVolumeScript,
  renderNatScript,
  renderPrecheckScript,
  renderPrepareScript,
  renderQuotaScript,
  renderCaCertificateScript,
  renderStackScript,
  renderWriteLocalConfScript,
} from "../../src/devstack/devstack-scripts";
import { SUPPORTED_DISTROS_BY_BRANCH } from "../../src/devstack/devstack-args";

const settings = validateDevstackSettings("t", { hostIp: "192.168.50.10", cpuAllocationRatio: 4 });

describe("DevstackHost scripts", () => {
  const scripts: Record<string, string> = {
    precheck: renderPrecheckScript({
      branch: "stable/2026.1",
      hostIp: "192.168.50.10",
      minRamMiB: 8000,
      minFreeDiskGiB: 40,
      manageEtcHosts: true,
    }),
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
    precheckPublicInterface: renderPrecheckScript({
      branch: "stable/2026.1",
      hostIp: "192.168.50.10",
      minRamMiB: 8000,
      minFreeDiskGiB: 40,
      manageEtcHosts: true,
      publicInterface: "eno2",
    }),
    stackRunner: STACK_RUNNER,
    quotas: renderQuotaScript({
      instances: 210,
      cores: 420,
      ramMiB: 430080,
      floatingIps: 210,
      ports: 230,
      securityGroups: 20,
      securityGroupRules: -1,
    }),
    caCertificate: renderCaCertificateScript(),
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

  it("stack.sh runs detached from the SSH session, its log followed with passwords masked, stopped after the timeout", () => {
    const s = renderStackScript("1", 58);
    expect(s).to.contain(
      'setsid nohup /opt/stack/.openstack-blueprints/run-stack.sh "$CONSOLE_LOG" "$STATUS_FILE" </dev/null >/dev/null 2>&1 &',
    );
    expect(s).to.contain("TIMEOUT_SECONDS=3480");
    expect(s).to.contain('kill -TERM -- "-$pid"');
    // A re-run while stack.sh still runs follows it instead of starting a second one.
    expect(s).to.match(
      /if \[ -s "\$PID_FILE" \] && kill -0 "\$\(cat "\$PID_FILE"\)" 2>\/dev\/null; then[\s\S]*following it/,
    );
    expect(s).to.contain(`printf 'stack.sh: %s\\n' "\${now:0:300}" | redact`);
    expect(STACK_RUNNER).to.contain(
      'runuser -l stack -c \'cd /opt/stack/devstack && ./stack.sh\' </dev/null >"$1" 2>&1\necho "$?" >"$2"',
    );
    expect(() => renderStackScript("1", 0)).to.throw("stack.sh timeout 0");
  });

  it("follows a detached run for real: progress with a masked password, the exit status, then the marker", function () {
    this.timeout(30000);
    // The real script, with its paths moved into a temporary directory and a fake stack.sh.
    const dir = spawnSync("mktemp", ["-d"], { encoding: "utf8" }).stdout.trim();
    try {
      const fake = [
        "#!/bin/bash",
        `echo "starting with ADMIN_PASSWORD=Secret123" >"$1"`,
        "sleep 3",
        `echo "done" >>"$1"`,
        `echo 0 >"$2"`,
        "",
      ].join("\n");
      require("node:fs").writeFileSync(`${dir}/local.conf`, "[[local|localrc]]\nADMIN_PASSWORD=Secret123\n");
      let script = renderStackScript("1", 1)
        .replace(/\/opt\/stack\/\.openstack-blueprints/g, `${dir}/state`)
        .replace(/\/opt\/stack\/logs/g, `${dir}/logs`)
        .replace(/\/opt\/stack\/devstack\/local\.conf/g, `${dir}/local.conf`)
        .replace(/\/opt\/stack\/devstack\/stack\.sh/g, "/bin/true")
        .replace("PROGRESS_SECONDS=30", "PROGRESS_SECONDS=1")
        .replace(/^ensure_dir [^\n]*\n/gm, "")
        .replace(
          /^ensure_file [^\n]*<<'OPENSTACK_BLUEPRINTS_STACK_RUNNER'\n[\s\S]*?\nOPENSTACK_BLUEPRINTS_STACK_RUNNER\n/m,
          "",
        );
      script = `mkdir -p ${dir}/state ${dir}/logs\ncat >${dir}/state/run-stack.sh <<'X'\n${fake}X\nchmod +x ${dir}/state/run-stack.sh\n${script}`;
      const r = spawnSync("bash", ["-c", script], { encoding: "utf8" });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr).to.contain("stack.sh: starting with ADMIN_PASSWORD=********").and.not.contain("Secret123");
      expect(r.stdout).to.contain("changed: stack.sh completed");
      expect(spawnSync("test", ["-e", `${dir}/state/stack.sh.1.done`]).status).to.equal(0);
    } finally {
      spawnSync("rm", ["-rf", dir]);
    }
  });

  it("prechecks refuse the SSH interface as publicInterface and warn (not fail) without /dev/kvm", () => {
    const s = scripts.precheckPublicInterface;
    expect(s).to.contain("PUBLIC_INTERFACE='eno2'");
    expect(s).to.contain("ss -tnpH state established");
    expect(s).to.contain('check_failed public-interface "$PUBLIC_INTERFACE carries this SSH session ($ip)');
    expect(s).to.match(/if \[ ! -c \/dev\/kvm \]; then\n  echo "precheck kvm: warning: [^\n]*" >&2\nfi/);
    // Run here with this machine's loopback as "publicInterface" (no SSH session on it: passes that check).
    const lo = renderPrecheckScript({
      branch: "stable/2026.1",
      hostIp: "127.0.0.1",
      minRamMiB: 1,
      minFreeDiskGiB: 0,
      manageEtcHosts: true,
      publicInterface: "nonexistent0",
    });
    const r = spawnSync("bash", ["-c", lo], { encoding: "utf8" });
    expect(r.stderr).to.contain("precheck public-interface failed: nonexistent0 does not exist on this host");
    const hostIp = renderPrecheckScript({
      branch: "stable/2026.1",
      hostIp: "127.0.0.1",
      minRamMiB: 1,
      minFreeDiskGiB: 0,
      manageEtcHosts: true,
      publicInterface: "lo",
    });
    expect(spawnSync("bash", ["-c", hostIp], { encoding: "utf8" }).stderr).to.contain(
      "precheck public-interface failed: lo carries hostIp 127.0.0.1",
    );
  });

  it("the distro table is DevStack's own SUPPORTED_DISTROS of each branch (apt-based ones)", () => {
    // Copied from stack.sh of openstack/devstack at each branch (July 2026).
    const stackSh: Record<string, string> = {
      master: "trixie|bookworm|noble|resolute|rhel9|rhel10",
      "stable/2026.1": "trixie|bookworm|noble|rhel9|rhel10",
      "stable/2025.2": "bookworm|jammy|noble|rhel9|rhel10",
      "stable/2025.1": "bookworm|jammy|noble|rhel9",
    };
    const family: Record<string, string> = {
      trixie: "debian",
      bookworm: "debian",
      jammy: "ubuntu",
      noble: "ubuntu",
      resolute: "ubuntu",
    };
    const apt = (list: string) =>
      list
        .split("|")
        .filter((c) => family[c])
        .map((c) => `${family[c]}:${c}`)
        .sort();
    expect(Object.keys(SUPPORTED_DISTROS_BY_BRANCH).sort()).to.deep.equal(Object.keys(stackSh).sort());
    for (const [branch, list] of Object.entries(stackSh))
      expect([...SUPPORTED_DISTROS_BY_BRANCH[branch]].sort(), branch).to.deep.equal(apt(list));
  });

  it("sets the admin project's quotas with DevStack's openrc, refusing nonsense", () => {
    expect(scripts.quotas).to.contain(
      "openstack quota set --instances 210 --cores 420 --ram 430080 --floating-ips 210 --ports 230 --secgroups 20 --secgroup-rules -1 admin",
    );
    expect(scripts.quotas).to.contain(". /opt/stack/devstack/openrc admin admin");
    expect(() => renderQuotaScript({ instances: 2.5 })).to.throw("quotas.instances = 2.5 is not a quota");
    expect(() => renderQuotaScript({})).to.throw("quotas is empty");
    // Cinder's quota too (home and boot volumes of the office's desktops): DevStack runs Cinder.
    expect(renderQuotaScript({ volumes: 250, volumeGiB: 5000 })).to.contain(
      "openstack quota set --volumes 250 --gigabytes 5000 admin",
    );
  });

  it("delete removes the marker only when clean.sh wiped the data", () => {
    expect(scripts.deleteAll)
      .to.contain("./unstack.sh")
      .and.to.contain("./clean.sh")
      .and.to.contain("rm -f '/opt/stack/.openstack-blueprints/stack.sh.1.done'");
    expect(scripts.deleteNone).not.to.contain("unstack.sh").and.not.to.contain("rm -f");
  });

  it("refuses unsafe device and interface names", () => {
    expect(() => renderExtraVolumeScript({ device: "/dev/sdb; reboot", volumeGroup: "vg" })).to.throw(
      /extraVolumeDevice = .* is not a \/dev path/,
    );
    expect(() => renderNatScript({ floatingRange: "172.24.4.0/24", natInterface: "eth0 x", proxyArp: false })).to.throw(
      /natInterface/,
    );
    expect(() => renderPrepareScript({ hostIp: "1.2.3.4", manageEtcHosts: true, extraPackages: ["a;b"] })).to.throw(
      /extraPackages/,
    );
  });

  it("prechecks run for real on this machine: each failure names the check and the fix, nothing changes", () => {
    const bad = renderPrecheckScript({
      branch: "stable/2026.1",
      hostIp: "192.0.2.123",
      minRamMiB: 10_000_000,
      minFreeDiskGiB: 1_000_000,
      manageEtcHosts: false,
    });
    const r = spawnSync("bash", ["-c", bad], { encoding: "utf8" });
    expect(r.status).to.equal(1);
    expect(r.stderr).to.match(/precheck memory failed: \d+ MiB of RAM, need 10000000 MiB\n  fix: /);
    expect(r.stderr).to.match(/precheck disk failed: \d+ GiB free under \/\S*, need 1000000 GiB\n  fix: /);
    expect(r.stderr).to.match(
      /precheck host-ip failed: 192.0.2.123 is not on any interface of this host\n  fix: set hostIp to one of: /,
    );
    expect(r.stderr).to.contain("nothing on the host was changed");
    const good = renderPrecheckScript({
      branch: "stable/2026.1",
      hostIp: "127.0.0.1",
      minRamMiB: 1,
      minFreeDiskGiB: 0,
      manageEtcHosts: true,
    });
    const g = spawnSync("bash", ["-c", good], { encoding: "utf8" });
    const osRelease = spawnSync("sh", ["-c", ". /etc/os-release; echo $ID:$VERSION_CODENAME"], {
      encoding: "utf8",
    }).stdout.trim();
    if (["debian:bookworm", "debian:trixie", "ubuntu:noble"].includes(osRelease)) {
      expect(g.status, g.stderr).to.equal(0);
      expect(g.stdout).to.contain("prechecks passed");
    } else {
      expect(g.stderr).to.contain("precheck distribution failed");
    }
  });
});
