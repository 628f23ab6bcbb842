/**
 * DevstackHost against a REAL host: a Debian bookworm guest booted with systemd in its own
 * network namespace (test/hosts, systemd-nspawn), reached over real SSH with its pinned host key.
 * The component is declared under the Pulumi mock harness (the Pulumi engine and the command
 * provider plugin cannot run here); test/hosts' runner then executes the recorded
 * `remote.Command`s over SSH in dependency order, as the provider would — twice.
 *
 * NOT executed here, and why:
 *  - `clone` (git fetch from opendev.org) and `stack` (stack.sh): they need the internet, which
 *    this machine does not have. The guard of the stack step IS exercised below: without a
 *    devstack checkout it stops with its own message, with a marker it does nothing.
 *  - the extra-volume step is not declared: it extends the cinder volume group stack.sh creates.
 *  - package installation: the guest has no route to the Debian mirror, so the packages the
 *    steps need (sudo, git, ca-certificates, iptables) are in the guest's root file system; the
 *    steps' ensure_packages checks them with dpkg-query and installs nothing.
 * Uses prefix "ds" and 10.202.0.0/16 (this area's share of the machine).
 */
import { expect } from "chai";
import { installMocks } from "@openstack-blueprints/test-harness";
import {
  Guest,
  RemoteStep,
  Rootfs,
  TestLab,
  buildRootfs,
  describeFailures,
  requireTestHosts,
  runRemoteSteps,
  runTwice,
  stepsFromRecordedResources,
} from "../../../../test/hosts";
import type { DevstackHostArgs } from "../../src/devstack/devstack-args";
import { DevstackHost } from "../../src/devstack/devstack-host";
import { validateDevstackSettings } from "../../src/devstack/devstack-plan";
import { renderLocalConf } from "../../src/devstack/local-conf";
import {
  FORWARDING_SYSCTL,
  NAT_HELPER,
  NAT_UNIT,
  NAT_UNIT_FILE,
  stackMarkerPath,
} from "../../src/devstack/devstack-scripts";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const harness = installMocks();

/** Drops steps (by name) and lets their dependents wait for what the dropped ones waited for. */
function withoutSteps(steps: RemoteStep[], names: string[]): RemoteStep[] {
  const dropped = new Map(steps.filter((s) => names.includes(s.name)).map((s) => [s.urn, s]));
  expect([...dropped.values()].map((s) => s.name).sort()).to.deep.equal([...names].sort());
  const resolve = (urn: string): string[] => (dropped.has(urn) ? dropped.get(urn)!.dependsOn.flatMap(resolve) : [urn]);
  return steps
    .filter((s) => !dropped.has(s.urn))
    .map((s) => ({ ...s, dependsOn: [...new Set(s.dependsOn.flatMap(resolve))] }));
}

describe("DevstackHost on a real host (systemd-nspawn guest over SSH)", function () {
  this.timeout(20 * 60_000);
  let rootfs: Rootfs;
  let lab: TestLab | undefined;
  let guest: Guest;

  before(async function () {
    requireTestHosts(this);
    rootfs = await buildRootfs({ name: "ds-devstack-host", packages: ["sudo", "git", "ca-certificates", "iptables"] });
    lab = await TestLab.create({ prefix: "ds", subnet: "10.202.0.0/16" });
    const net = await lab.network();
    // CAP_NET_ADMIN so the NAT step (iptables, ip_forward) runs for real, in the guest's own netns.
    guest = await lab.startGuest({
      name: "ds1",
      rootfs,
      network: net,
      hostname: "ds1",
      capabilities: ["CAP_NET_ADMIN"],
    });
  });

  after(async function () {
    this.timeout(120_000);
    if (!lab) return;
    await lab.cleanup();
    expect(await lab.leftovers(), "netns/links/mounts left after cleanup").to.deep.equal([]);
  });

  it("runs every step that needs no internet twice over SSH (the second run changes nothing), then inspects the host", async () => {
    // The NAT unit needs CAP_NET_ADMIN (iptables, net.ipv4.ip_forward); the guest is started with
    // it. Should a test-host setup ever lack it, the NAT step is left out (and said so) and the
    // NAT helper is still exercised for real in a network namespace by the next test.
    const capBnd = (await guest.exec("awk '/^CapBnd/ { print $2 }' /proc/1/status")).stdout.trim();
    const guestHasNetAdmin = (parseInt(capBnd.slice(-4), 16) & 0x1000) !== 0;
    expect(guestHasNetAdmin, "the guest was started with CAP_NET_ADMIN: the NAT step must run").to.equal(true);
    if (guestHasNetAdmin) {
      // nspawn with --network-namespace-path leaves /proc/sys/net read-only (a real host, or nspawn
      // with SYSTEMD_NSPAWN_API_VFS_WRITABLE=network, has it writable); only the guest's netns.
      await guest.exec(
        "touch /proc/sys/net/ipv4/ip_forward 2>/dev/null || { mount --bind /proc/sys/net /proc/sys/net && mount -o remount,bind,rw /proc/sys/net; }",
      );
    }
    // The library maps the hostname in /etc/hosts; remove it so prepare has to (RabbitMQ needs it).
    await guest.exec("sed -i '/\\sds1$/d' /etc/hosts");
    expect((await guest.exec("getent hosts ds1", { allowFailure: true })).exitCode).to.not.equal(0);

    const args: DevstackHostArgs = {
      connection: guest.connection,
      hostIp: guest.ip,
      // The guest shares this machine's RAM and disk; minimums lowered so CI machines pass.
      minRamMiB: 1024,
      minFreeDiskGiB: 5,
      floatingAllocationStart: "172.24.4.100",
      floatingAllocationEnd: "172.24.4.200",
      cpuAllocationRatio: 16,
      ramAllocationRatio: 1.5,
    };
    const program = await harness.runProgram(() => new DevstackHost("ds", args));
    expect(program.thrown?.message).to.equal(undefined);
    expect(program.errors.map((e) => e.message)).to.deep.equal([]);
    const passwords = ["admin", "database", "rabbit", "service"].map((role) =>
      String(program.byName(`ds-${role}-password`).state.value),
    );

    const declared = stepsFromRecordedResources(program.resources);
    expect(declared.map((s) => s.name)).to.deep.equal([
      "ds-precheck",
      "ds-prepare",
      "ds-clone",
      "ds-local-conf",
      "ds-stack",
      "ds-nat",
    ]);
    const steps = withoutSteps(declared, ["ds-clone", "ds-stack", ...(guestHasNetAdmin ? [] : ["ds-nat"])]);
    console.log("    NOT executed (need the internet): ds-clone (git fetch from opendev.org), ds-stack (stack.sh)");
    if (!guestHasNetAdmin)
      console.log(
        "    NOT executed: ds-nat — the guest's systemd has no CAP_NET_ADMIN (test/hosts' nspawn); see the network-namespace test",
      );

    const twice = await runTwice(steps, { allowChanges: true }).catch(async (e: Error) => {
      const journal = await guest.exec(`journalctl --no-pager -n 30 -u ${NAT_UNIT}`, { allowFailure: true });
      throw new Error(`${e.message}\n--- journal of ${NAT_UNIT} ---\n${journal.stdout}`);
    });
    expect(twice.first.startOrder).to.deep.equal([
      "ds-precheck",
      "ds-prepare",
      "ds-local-conf",
      ...(guestHasNetAdmin ? ["ds-nat"] : []),
    ]);
    const firstChanged = Object.fromEntries(twice.first.results.map((r) => [r.name, r.changed]));
    console.log(`    first run: ${JSON.stringify(firstChanged)}`);
    expect(twice.first.results.find((r) => r.name === "ds-precheck")!.stdout).to.contain(
      "prechecks passed: debian bookworm",
    );
    expect(firstChanged["ds-prepare"].join("\n"))
      .to.contain("changed: created user stack")
      .and.to.contain("changed: wrote /etc/sudoers.d/stack")
      .and.to.contain("/etc/hosts");
    expect(firstChanged["ds-local-conf"]).to.include("changed: wrote /opt/stack/devstack/local.conf");
    if (guestHasNetAdmin) expect(firstChanged["ds-nat"].join("\n")).to.contain("enabled devstack-nat.service");
    expect(twice.changedOnSecondRun, "the second run changed something").to.deep.equal({});

    // No secret in any command output of either run.
    for (const report of [twice.first, twice.second]) {
      for (const r of report.results) {
        for (const p of passwords)
          expect(`${r.stdout}${r.stderr}`.includes(p), `${report.phase} ${r.name} printed a password`).to.equal(false);
      }
    }

    const sh = async (command: string) => (await guest.exec(command)).stdout.trim();
    // user and home
    expect(await sh("getent passwd stack | cut -d: -f6,7")).to.equal("/opt/stack:/bin/bash");
    expect(await sh("stat -c '%a %U:%G' /opt/stack /opt/stack/logs /opt/stack/devstack")).to.equal(
      "755 stack:stack\n755 stack:stack\n755 stack:stack",
    );
    // sudoers: valid, 0440, and it works non-interactively for the stack user
    expect(await sh("stat -c '%a %U:%G' /etc/sudoers.d/stack")).to.equal("440 root:root");
    expect(await sh("grep -v '^#' /etc/sudoers.d/stack")).to.equal("stack ALL=(ALL) NOPASSWD: ALL");
    expect(await sh("visudo -cf /etc/sudoers.d/stack")).to.contain("parsed OK");
    expect(await sh("runuser -u stack -- sudo -n id -u")).to.equal("0");
    // hostname resolves to HOST_IP
    expect(await sh("getent hosts ds1 | awk '{print $1}'")).to.equal(guest.ip);
    // local.conf: 0600, owned by stack, exactly the rendered document with the generated passwords
    expect(await sh("stat -c '%a %U:%G' /opt/stack/devstack/local.conf")).to.equal("600 stack:stack");
    const settings = validateDevstackSettings("ds", args);
    const expected = renderLocalConf(settings, {
      admin: passwords[0],
      database: passwords[1],
      rabbit: passwords[2],
      service: passwords[3],
    });
    expect((await guest.exec("cat /opt/stack/devstack/local.conf")).stdout).to.equal(expected);
    // NAT: unit enabled and active, sysctl file, forwarding on, the MASQUERADE rule exactly once
    if (guestHasNetAdmin) {
      expect(await sh(`cat /etc/systemd/system/${NAT_UNIT}`)).to.equal(NAT_UNIT_FILE.trim());
      expect(await sh(`systemctl is-enabled ${NAT_UNIT}; systemctl is-active ${NAT_UNIT}`)).to.equal("enabled\nactive");
      expect(await sh("cat /etc/sysctl.d/60-devstack-forwarding.conf")).to.equal(FORWARDING_SYSCTL.trim());
      expect(await sh("cat /proc/sys/net/ipv4/ip_forward")).to.equal("1");
      expect(
        await sh("iptables -w -t nat -S POSTROUTING | grep -c -- '-s 172.24.4.0/24 -o eth0 -j MASQUERADE'"),
      ).to.equal("1");
    } else {
      // The unit file still gets checked by the guest's real systemd.
      await guest.exec(
        `mkdir -p /tmp/natcheck && cat > /tmp/natcheck/${NAT_UNIT} <<'EOF'\n${NAT_UNIT_FILE.replace(/\/usr\/local\/sbin\/devstack-nat/g, "/bin/true").replace(/EnvironmentFile=.*\n/, "")}EOF`,
      );
      const verify = await guest.exec(`systemd-analyze verify /tmp/natcheck/${NAT_UNIT} 2>&1`, { allowFailure: true });
      expect(verify.exitCode, verify.stdout).to.equal(0);
    }

    // The stack.sh guard, for real (stack.sh itself cannot run here): without a devstack
    // checkout the step stops with its message; with a completed marker it does nothing.
    const stackStep = declared.find((s) => s.name === "ds-stack")!;
    const alone = { ...stackStep, dependsOn: [] };
    const unguarded = await runRemoteSteps([alone]);
    expect(unguarded.ok).to.equal(false);
    expect(unguarded.results[0].stderr).to.contain(
      "/opt/stack/devstack/stack.sh is missing; the clone step did not complete",
    );
    await guest.exec(`date -u > ${stackMarkerPath("1")}`);
    const guarded = await runRemoteSteps([alone]);
    expect(guarded.ok, describeFailures(guarded)).to.equal(true);
    expect(guarded.results[0].stderr).to.contain("stack.sh already completed for rebuild key 1");
    expect(guarded.results[0].changed).to.deep.equal([]);
    await guest.exec(`rm -f ${stackMarkerPath("1")}`);
  });
});

describe("DevstackHost NAT helper in a network namespace (real iptables and sysctl)", function () {
  this.timeout(60_000);
  const NETNS = "dsnat0";
  let dir: string | undefined;
  const sh = (script: string) => spawnSync("bash", ["-c", script], { encoding: "utf8" });
  const inNs = (command: string) => sh(`ip netns exec ${NETNS} ${command}`);

  before(function () {
    const missing = ["ip", "iptables"].filter((tool) => sh(`command -v ${tool}`).status !== 0);
    if (process.getuid?.() !== 0) missing.push("root");
    if (missing.length > 0) {
      const message = `NAT helper test needs ${missing.join(", ")} (apt-get install iptables iproute2; run as root)`;
      unavailableHere(this, message);
    }
    sh(`ip netns del ${NETNS} 2>/dev/null`);
    const made = sh(
      `ip netns add ${NETNS} && ip -n ${NETNS} link add dsup0 type veth peer name dsup1 && ip -n ${NETNS} link set lo up`,
    );
    expect(made.status, made.stderr).to.equal(0);
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "devstack-nat-"));
    fs.writeFileSync(path.join(dir, "devstack-nat"), NAT_HELPER, { mode: 0o755 });
  });

  after(() => {
    sh(`ip netns del ${NETNS} 2>/dev/null`);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it("up applies forwarding and MASQUERADE once, a second up changes nothing, down removes the rule", () => {
    const helper = `env NAT_INTERFACE=dsup0 FLOATING_RANGE=172.24.4.0/24 PROXY_ARP=1 bash ${dir}/devstack-nat`;
    expect(inNs("cat /proc/sys/net/ipv4/ip_forward").stdout.trim()).to.equal("0");
    const first = inNs(`${helper} up`);
    expect(first.status, first.stderr).to.equal(0);
    expect(first.stdout)
      .to.contain("changed: enabled net.ipv4.ip_forward")
      .and.to.contain("changed: MASQUERADE 172.24.4.0/24 out of dsup0")
      .and.to.contain("changed: proxy_arp on dsup0");
    const second = inNs(`${helper} up`);
    expect(second.status, second.stderr).to.equal(0);
    expect(second.stdout).to.equal("");
    expect(inNs("cat /proc/sys/net/ipv4/ip_forward").stdout.trim()).to.equal("1");
    expect(inNs("cat /proc/sys/net/ipv4/conf/dsup0/proxy_arp").stdout.trim()).to.equal("1");
    const rules = inNs("iptables -w -t nat -S POSTROUTING")
      .stdout.split("\n")
      .filter((l) => l.includes("MASQUERADE"));
    expect(rules).to.deep.equal(["-A POSTROUTING -s 172.24.4.0/24 -o dsup0 -j MASQUERADE"]);
    expect(inNs(`${helper} down`).status).to.equal(0);
    expect(inNs("iptables -w -t nat -S POSTROUTING").stdout).not.to.contain("MASQUERADE");
    // the machine's own forwarding setting was never touched
    expect(sh("cat /proc/sys/net/ipv4/ip_forward").stdout.trim()).to.equal(
      fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(),
    );
  });
});
