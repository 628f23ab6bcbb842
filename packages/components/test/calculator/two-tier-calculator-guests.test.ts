import { expect } from "chai";
import * as fs from "node:fs";
import { spawnSync } from "node:child_process";
import { installMocks } from "@openstack-blueprints/test-harness";
import { ensureGuestRootfs, guestsUnavailable } from "./support/guest-rootfs";
import { netnsLabUnavailable, NetnsLab } from "./support/netns-lab";
import { bootGuest, BootedGuest } from "./support/nspawn-guest";
import { LabTopology } from "./support/topology-from-resources";
import { runCalculatorForLab, SEED_CALCULATOR } from "./support/seed-program";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const harness = installMocks();

async function until<T>(
  what: string,
  deadlineMs: number,
  probe: () => Promise<T | undefined>,
  describeState: () => string,
): Promise<T> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > end) throw new Error(`${what} did not happen within ${deadlineMs / 1000} s\n${describeState()}`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** Host PIDs of a guest's node process running `bundle` (found through its network namespace). */
function nodePidsIn(namespace: string, bundle: string): number[] {
  const pids = spawnSync("ip", ["netns", "pids", namespace], { encoding: "utf8" })
    .stdout.split(/\s+/)
    .filter(Boolean)
    .map(Number);
  return pids.filter((pid) => {
    try {
      return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").includes(bundle);
    } catch {
      return false;
    }
  });
}

/**
 * The whole path of the user data, for real: five systemd-nspawn guests (Debian 12, systemd as
 * PID 1, real cloud-init with a NoCloud seed holding exactly the user data the component
 * rendered) booted inside the lab's namespaces. cloud-init writes the bundle and the unit and
 * runs `systemctl enable --now`; systemd starts node as a DynamicUser. A client computes
 * through the floating IP; a service killed by pid comes back (Restart=on-failure).
 * Node.js comes with the image here (nodejsSource "image"): the lab has no internet.
 *
 * Part of `npm test` (root; CI). It used to be a separate lab run because about one run in three
 * hung: the guests' console was a pty nobody read (`--console=passive`), and the root had no
 * system locale, so cloud-init's locale module failed and systemd hung stopping
 * cloud-config.service. Both are fixed (support/nspawn-guest.ts, support/guest-rootfs.ts).
 */
describe("TwoTierCalculatorTopology: user data booted by real cloud-init and systemd in nspawn guests", function () {
  this.timeout(900000);
  let lab: NetnsLab | undefined;
  let topology: LabTopology;
  let publicUrl = "";
  const guests: BootedGuest[] = [];
  const guestReports = () => guests.map((g) => `--- ${g.name} ---\n${g.report()}`).join("\n");
  const consoles = () => guests.map((g) => `--- ${g.name} console (tail) ---\n${g.console().slice(-3000)}`).join("\n");

  before(async function () {
    const missing = netnsLabUnavailable() ?? guestsUnavailable();
    if (missing) unavailableHere(this, `the calculator guests cannot run here: ${missing}`);
    const started = Date.now();
    const rootfs = ensureGuestRootfs();
    console.log(`      guest root file system ready after ${Math.round((Date.now() - started) / 1000)} s`);
    ({ publicUrl, topology } = await runCalculatorForLab(harness, SEED_CALCULATOR));
    lab = new NetnsLab(topology);
    lab.up();
    for (const server of topology.servers) {
      guests.push(bootGuest(rootfs, lab.serverNamespace.get(server.name)!, server.name, server.userData));
    }
  });

  after(async () => {
    await Promise.all(guests.map((g) => g.stop()));
    if (lab) await lab.down();
  });

  it("cloud-init installs and starts every service; the client computes through the floating IP", async () => {
    const started = Date.now();
    let last = "";
    const health = await until(
      "all five services answering through the front end",
      Number(process.env.CALC_GUEST_DEADLINE_MS ?? 300000),
      async () => {
        const answer = await lab!
          .clientRequest("GET", `${publicUrl}/healthz`, undefined, 5000)
          .catch((e: Error) => ({ status: 0, body: e.message, json: undefined }));
        last = `HTTP ${answer.status} ${answer.body}`;
        return answer.status === 200 ? answer : undefined;
      },
      () => `last /healthz: ${last}\n${guestReports()}`,
    );
    console.log(
      `      all services up ${Math.round((Date.now() - started) / 1000)} s after the guests started booting`,
    );
    expect(health.json.status).to.equal("ok");
    const answer = await lab!.clientRequest("POST", `${publicUrl}/calculate`, { expression: "(4+5)*3-10/2" });
    expect(answer.json, answer.body).to.deep.equal({ result: 22 });
  });

  it("each service runs unprivileged (DynamicUser) and systemd restarts it when it dies", async () => {
    const sum = topology.servers.find((s) => s.name === "calc-sum")!;
    const ns = lab!.serverNamespace.get(sum.name)!;
    const [pid] = nodePidsIn(ns, sum.execStart[1]);
    expect(pid, "the sum service's node process").to.be.a("number");
    const uid = /^Uid:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"))![1];
    expect(Number(uid), "DynamicUser uid").to.not.equal(0);
    process.kill(pid, "SIGKILL");
    const restarted = await until(
      "the sum service restarted by systemd",
      60000,
      async () => {
        const pids = nodePidsIn(ns, sum.execStart[1]).filter((p) => p !== pid);
        return pids.length > 0 ? pids[0] : undefined;
      },
      consoles,
    );
    expect(restarted).to.not.equal(pid);
    const answer = await until(
      "a sum through the restarted service",
      30000,
      async () => {
        const a = await lab!.clientRequest("POST", `${publicUrl}/calculate`, { expression: "40+2" }, 5000);
        return a.status === 200 ? a : undefined;
      },
      consoles,
    );
    expect(answer.json).to.deep.equal({ result: 42 });
  });
});
