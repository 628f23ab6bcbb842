/**
 * Self-tests of the test-host library against the real thing: debootstrap'd Debian roots booted
 * with systemd-nspawn in their own network namespaces, real sshd/OpenSSH with pinned host keys,
 * real cloud-init. Needs root; uses prefix "th" and 10.200.0.0/16 (reserved for this library).
 */
import { expect } from "chai";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import { assertValidCloudConfig, assertValidShellScript } from "@openstack-blueprints/test-harness";
import { renderRemoteScript } from "../../packages/components/src/scripts/remote-script";
import { Guest, pinnedHostKeys } from "./guest";
import { TestLab, TestNetwork, nocloudMetaData } from "./lab";
import { processAlive } from "./process";
import { RemoteStep, runRemoteSteps, runTwice } from "./remote-runner";
import { requireTestHosts } from "./requirements";
import { reapLeftovers } from "./teardown";
import { BUILD_ROOTFS_SCRIPT, CLOUD_GUEST_PACKAGES, Rootfs, buildRootfs, removeRootfs } from "./rootfs";

describe("test hosts (real systemd-nspawn guests)", function () {
  this.timeout(20 * 60_000);
  let rootfs: Rootfs;
  let lab: TestLab;
  let net: TestNetwork;
  let a: Guest;
  let b: Guest;
  const hostForwarding = fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim();
  const captured: Rootfs[] = [];

  before(async function () {
    requireTestHosts(this);
    rootfs = await buildRootfs({ name: "th-selftest", packages: CLOUD_GUEST_PACKAGES });
    console.log(
      `    rootfs ${rootfs.key}: ${rootfs.buildSeconds > 0 ? `built in ${rootfs.buildSeconds.toFixed(1)} s` : "from cache"}`,
    );
    lab = await TestLab.create({ prefix: "th", subnet: "10.200.0.0/16" });
    net = await lab.network();
  });

  after(async function () {
    this.timeout(120_000);
    for (const r of captured) await removeRootfs(r);
    if (!lab) return;
    const pids = [a, b].filter((g) => g?.nspawnPid).map((g) => g.nspawnPid!);
    await lab.cleanup();
    expect(await lab.leftovers(), "netns/links/mounts/dirs left after cleanup").to.deep.equal([]);
    for (const pid of pids) expect(processAlive(pid), `nspawn pid ${pid} still alive after cleanup`).to.equal(false);
  });

  it("the rootfs build script passes bash -n and shellcheck", () => {
    assertValidShellScript(BUILD_ROOTFS_SCRIPT, "build-rootfs");
  });

  it("boots two guests in separate network namespaces with systemd", async () => {
    a = await lab.startGuest({ name: "a", rootfs, network: net, hostname: "a.lab.test" });
    b = await lab.startGuest({ name: "b", rootfs, network: net });
    console.log(`    boot/ssh seconds: ${JSON.stringify(Object.fromEntries(lab.timings))}`);
    expect(a.netns).to.not.equal(b.netns);
    expect((await a.exec("systemctl is-system-running", { allowFailure: true })).stdout.trim()).to.match(
      /^(running|degraded)$/,
    );
    expect((await a.exec("hostname -f")).stdout.trim()).to.equal("a.lab.test");
    expect((await b.exec("ip -4 -o addr show dev eth0")).stdout).to.contain(`${b.address}`);
    // Each guest sees only its own interfaces, not the host's bridge.
    expect((await a.exec("ip -o link show")).stdout).to.not.contain(net.bridge);
  });

  it("reaches both guests over SSH with pinned host keys and rejects a wrong key", async () => {
    expect((await a.ssh("hostname")).stdout.trim()).to.equal("a.lab.test");
    expect((await b.ssh("hostname")).stdout.trim()).to.equal("b");
    const { sshArgs } = await import("./ssh-client");
    const wrong = sshArgs({ ...a.connection, hostKey: b.connection.hostKey });
    try {
      const { run } = await import("./process");
      const result = await run([...wrong.args, "--", "true"], { allowFailure: true });
      expect(result.exitCode).to.not.equal(0);
      expect(result.stderr).to.match(/host key/i);
    } finally {
      wrong.dispose();
    }
  });

  it("lets a guest manage its own network namespace and hostname (what DevStack/Ganeti steps do)", async () => {
    await b.exec("ip addr add 10.200.0.250/24 dev eth0 && ip link add br-th type bridge && ip link set br-th up");
    expect((await b.exec("sysctl -w net.ipv4.ip_forward=1")).stdout.trim()).to.equal("net.ipv4.ip_forward = 1");
    expect(
      fs.readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8").trim(),
      "the host's own setting is untouched",
    ).to.equal(hostForwarding);
    await b.exec("hostname b2.lab.test");
    expect((await b.ssh("hostname; ip -br addr show eth0")).stdout)
      .to.contain("b2.lab.test")
      .and.to.contain("10.200.0.250/24");
    await b.exec("hostname b && ip addr del 10.200.0.250/24 dev eth0 && ip link del br-th");
  });

  it("guests reach each other through the bridge", async () => {
    const banner = await a.exec(`timeout 5 bash -c 'exec 3<>/dev/tcp/${b.ip}/22; head -c 8 <&3'`);
    expect(banner.stdout).to.equal("SSH-2.0-");
  });

  function step(
    name: string,
    guest: Guest,
    create: string,
    dependsOn: string[] = [],
    extra: Partial<RemoteStep> = {},
  ): RemoteStep {
    return {
      urn: `urn:th::${name}`,
      name,
      create,
      connection: guest.connection,
      dependsOn: dependsOn.map((d) => `urn:th::${d}`),
      ...extra,
    };
  }

  it("runs a DAG of remote steps over SSH: parallel where independent, dependents stop at a failure", async () => {
    const steps = [
      step("prep-a", a, "sleep 1; echo a > /root/prep; echo changed: prep-a"),
      step("prep-b", b, "sleep 1; echo b > /root/prep"),
      step("join", a, `cat /root/prep; ssh-keyscan -t ed25519 ${b.ip} >/dev/null 2>&1 && echo scanned`, [
        "prep-a",
        "prep-b",
      ]),
      step("fails", b, "echo about to fail >&2; exit 3", ["prep-b"]),
      step("after-fail", b, "touch /root/must-not-exist", ["fails"]),
      step("after-after", a, "touch /root/must-not-exist", ["after-fail", "join"]),
    ];
    const report = await runRemoteSteps(steps, { continueOnError: true });
    const byName = Object.fromEntries(report.results.map((r) => [r.name, r]));
    expect(report.ok).to.equal(false);
    expect(byName["prep-a"].status).to.equal("ok");
    expect(byName["prep-a"].changed).to.deep.equal(["changed: prep-a"]);
    expect(byName["join"].status).to.equal("ok");
    expect(byName["join"].stdout).to.equal("a\nscanned\n");
    expect(byName["fails"]).to.include({ status: "failed", exitCode: 3 });
    expect(byName["fails"].stderr).to.contain("about to fail");
    expect(byName["after-fail"].status).to.equal("skipped");
    expect(byName["after-after"].status).to.equal("skipped");
    // prep-a and prep-b (1 s each) overlapped; join started after both finished.
    expect(byName["prep-b"].startedAt!).to.be.below(byName["prep-a"].finishedAt!);
    expect(byName["join"].startedAt!).to.be.at.least(
      Math.max(byName["prep-a"].finishedAt!, byName["prep-b"].finishedAt!),
    );
    expect((await b.exec("test -e /root/must-not-exist", { allowFailure: true })).exitCode).to.equal(1);
    expect((await a.exec("test -e /root/must-not-exist", { allowFailure: true })).exitCode).to.equal(1);
  });

  it("stops starting new steps after a failure by default, like pulumi up", async () => {
    const steps = [
      step("quick-fail", a, "exit 1"),
      step("slow", b, "sleep 1"),
      step("after-slow", b, "touch /root/after-slow", ["slow"]),
    ];
    const report = await runRemoteSteps(steps, { parallel: 2 });
    expect(report.results.map((r) => r.status)).to.deep.equal(["failed", "ok", "skipped"]);
  });

  it("pipes stdin (secrets stay out of argv) and sends only AcceptEnv'd environment, like the provider", async () => {
    const secret = "s3cr3t-th-value";
    const report = await runRemoteSteps([
      // The command names only the secret's hash; 's3cr3[t]' matches the secret but not itself.
      step(
        "stdin",
        a,
        `IFS= read -r token; [ "$(printf %s "$token" | sha256sum | cut -c1-64)" = ${createHash("sha256").update(secret).digest("hex")} ] && echo match; ps -eo args | grep -c 's3cr3[t]' || true`,
        [],
        { stdin: `${secret}\n` },
      ),
      step("env", a, `echo "LANG=\${LANG:-unset} FOO=\${FOO:-unset}"`, [], {
        environment: { LANG: "C.UTF-8", FOO: "bar" },
      }),
    ]);
    expect(report.ok).to.equal(true);
    // The secret arrived on stdin, and no process in the guest has it in its argv.
    expect(report.results[0].stdout.trim()).to.equal("match\n0");
    expect(report.results[1].stdout.trim()).to.equal("LANG=C.UTF-8 FOO=unset");
  });

  it("runTwice proves idempotent scripts and catches non-idempotent ones", async () => {
    const script = renderRemoteScript({
      description: "write a config",
      body: `ensure_dir /etc/th-demo 0755 root:root\nensure_file /etc/th-demo/conf 0644 root:root <<'EOF'\nkey=value\nEOF`,
    });
    assertValidShellScript(script);
    // As a program would declare them: connection without a host key, pinned by the runner.
    const unpinned = (s: RemoteStep): RemoteStep => ({ ...s, connection: { ...s.connection, hostKey: undefined } });
    const steps = [unpinned(step("conf-a", a, script)), unpinned(step("conf-b", b, script, ["conf-a"]))];
    const twice = await runTwice(steps, { hostKeys: pinnedHostKeys([a, b]) });
    expect(twice.first.results[0].changed).to.include("changed: wrote /etc/th-demo/conf");
    expect(twice.changedOnSecondRun).to.deep.equal({});
    expect(a.readFile("/etc/th-demo/conf")).to.equal("key=value\n");

    const appending = [step("append", a, `echo line >> /root/appended; echo "changed: appended"`)];
    let error: Error | undefined;
    await runTwice(appending).catch((e: Error) => (error = e));
    expect(error?.message).to.contain("not idempotent").and.to.contain("changed: appended");
  });

  it("runs NoCloud user-data through real cloud-init, then boots a second guest from the captured root", async () => {
    const userData = [
      "#cloud-config",
      "users:",
      "  - name: alice",
      "    shell: /bin/bash",
      "    lock_passwd: true",
      "write_files:",
      "  - path: /etc/th-baked",
      "    content: |",
      "      baked in stage one",
      "runcmd:",
      "  - [ sh, -c, 'echo ran > /root/runcmd-ran' ]",
      "",
    ].join("\n");
    assertValidCloudConfig(userData);
    const c = await lab.startGuest({
      name: "c",
      rootfs,
      network: net,
      nocloud: { userData, metaData: nocloudMetaData("th-c-1", "c-from-meta") },
    });
    const result = await c.waitForCloudInit(300_000);
    console.log(`    cloud-init finished ${result.waitedSeconds.toFixed(1)} s after boot+ssh; status ${result.status}`);
    expect(result.errors, result.detail).to.deep.equal([]);
    expect(result.status).to.equal("done");
    expect((await c.exec("id -u alice")).exitCode).to.equal(0);
    expect((await c.exec("cat /root/runcmd-ran")).stdout).to.equal("ran\n");
    expect((await c.exec("hostname")).stdout.trim()).to.equal("c-from-meta");
    // The pinned host key survived cloud-init's ssh module (it regenerates /etc/ssh/ssh_host_*).
    expect((await c.ssh("cat /etc/th-baked")).stdout).to.equal("baked in stage one\n");

    await c.stop();
    const image = await lab.captureRootfs(c, { name: "th-baked", cloudInitClean: true });
    captured.push(image);
    expect(image.layers.slice(1)).to.deep.equal(rootfs.layers);
    const second = [
      "#cloud-config",
      "write_files:",
      "  - path: /etc/th-personal",
      "    content: |",
      "      stage two",
      "",
    ].join("\n");
    assertValidCloudConfig(second);
    const d = await lab.startGuest({
      name: "d",
      rootfs: image,
      network: net,
      nocloud: { userData: second, metaData: nocloudMetaData("th-d-1", "d") },
    });
    const dResult = await d.waitForCloudInit(300_000);
    expect(dResult.errors, dResult.detail).to.deep.equal([]);
    expect((await d.ssh("cat /etc/th-baked /etc/th-personal")).stdout).to.equal("baked in stage one\nstage two\n");
    expect((await d.exec("id -u alice")).exitCode).to.equal(0);
    expect((await d.exec("test -e /root/runcmd-ran && echo yes")).stdout).to.equal("yes\n");
    expect(d.hostKey).to.not.equal(c.hostKey);
    // cloud-init saw a first boot in d: only d's instance, none of c's state.
    expect((await d.exec("ls /var/lib/cloud/instances")).stdout.trim()).to.equal("th-d-1");
    expect((await d.exec("cat /etc/machine-id")).stdout.trim()).to.match(/^[0-9a-f]{32}$/);
    // c's root was not changed by the capture.
    expect(c.readFile("/var/lib/cloud/seed/nocloud/meta-data")).to.contain("th-c-1");
  });

  it("gives guests Debian's mirrors through the network's apt proxy: cloud-init installs a package", async () => {
    const proxied = await lab.network({ aptProxy: true });
    expect(proxied.aptProxy).to.equal(`http://${proxied.gateway}:3142`);
    const userData = ["#cloud-config", "packages:", "  - hello", ""].join("\n");
    assertValidCloudConfig(userData);
    const f = await lab.startGuest({
      name: "f",
      rootfs,
      network: proxied,
      nocloud: { userData, metaData: nocloudMetaData("th-f-1", "f") },
    });
    const result = await f.waitForCloudInit(600_000);
    expect(result.errors, result.detail).to.deep.equal([]);
    expect((await f.exec("hello")).stdout).to.equal("Hello, world!\n");
    // Anything but Debian's mirrors is refused.
    const refused = await f.exec(
      `exec 3<>/dev/tcp/${proxied.gateway}/3142; printf 'GET http://example.com/ HTTP/1.0\\r\\n\\r\\n' >&3; head -n 1 <&3`,
    );
    expect(refused.stdout).to.match(/^HTTP\/1.1 403/);
    // Guests of different networks do not reach each other (the host does not forward).
    const across = await f.exec(`timeout 3 bash -c 'exec 3<>/dev/tcp/${a.ip}/22' && echo reached || echo unreachable`);
    expect(across.stdout.trim()).to.equal("unreachable");
    await f.cleanup();
  });

  it("reaps what a crashed test process left behind, by recorded pid", async () => {
    const { spawn } = await import("node:child_process");
    const child = spawn(
      process.execPath,
      ["-r", "ts-node/register/transpile-only", `${__dirname}/fixtures/abandoned-lab.ts`, rootfs.dir],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    let errors = "";
    child.stderr.on("data", (d: Buffer) => (errors += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => {
        output += d.toString();
        if (output.includes("\n")) resolve(output.split("\n")[0]);
      });
      child.on("exit", (code) => reject(new Error(`fixture exited ${code}: ${errors}`)));
    });
    const left = JSON.parse(line) as {
      labId: string;
      netns: string;
      nspawnPid: number;
      leaderPid: number;
      bridge: string;
      workDir: string;
    };
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));
    expect(processAlive(left.nspawnPid), "the orphan guest outlives its test process").to.equal(true);
    expect(fs.existsSync(`/run/netns/${left.netns}`)).to.equal(true);

    const report = await reapLeftovers("th");
    // Other worktrees run this suite at the same time: their labs may reap a dead "th" lab too
    // (same code); either way it must be gone, and other dead runs may show up in the report.
    if (!report.labs.includes(left.labId))
      console.log(`    lab ${left.labId} was reaped by another test process first`);
    expect(fs.existsSync(`/run/openstack-blueprints/testhosts/th/lab-${left.labId}.json`)).to.equal(false);
    expect(fs.existsSync(`/run/openstack-blueprints/testhosts/th/guest-${left.labId}-orphan.json`)).to.equal(false);
    expect(processAlive(left.nspawnPid)).to.equal(false);
    expect(processAlive(left.leaderPid)).to.equal(false);
    expect(fs.existsSync(`/run/netns/${left.netns}`)).to.equal(false);
    expect(fs.existsSync(`/sys/class/net/${left.bridge}`)).to.equal(false);
    expect(fs.existsSync(left.workDir)).to.equal(false);
    // Our own, live lab was left alone.
    expect((await a.exec("true")).exitCode).to.equal(0);
  });

  it("boots an sshd-only guest (no systemd) in under a few seconds", async () => {
    const e = await lab.startGuest({ name: "e", rootfs, network: net, boot: "sshd-only" });
    expect((await e.ssh("cat /proc/1/comm; ps -eo comm | grep -c sshd")).stdout.split("\n")[0]).to.not.equal("systemd");
    await e.cleanup();
    expect(fs.existsSync(`/run/netns/${e.netns}`)).to.equal(false);
  });
});
