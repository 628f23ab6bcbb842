/**
 * The two stages of a baked desktop, in real systemd-booted Debian guests (test/hosts), shared by
 * the two-stage test and `npm run bench:desktop-ready`:
 * - bakeInGuest: XrdpDesktopImage's bake user data run by real cloud-init in a guest booted from
 *   a plain cloud-guest root; packages really come from Debian's mirror through the lab network's
 *   apt proxy (the guests have no other way out). The guest's root is then captured as "the image"
 *   (what Nova's snapshot would be).
 * - bootToRdpSession: a guest booted from a root with some user data, timed from the start of the
 *   boot until xrdp-sesman has started the employee's session for a real xfreerdp client.
 */
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { installMocks, outputValue } from "@openstack-blueprints/test-harness";
import { Guest, nocloudMetaData, Rootfs, TestLab, TestNetwork } from "../../../../test/hosts";
import { bakeConsoleState, BakePlan, planDesktopBake } from "../../src/desktop-image/bake-plan";
import { ThinClientDesktopPool } from "../../src/desktop/thin-client-desktop-pool";
import { StopWaiting, waitFor } from "../../../../test/hosts/process";
import { diagnostics, sesmanLog, sleep, startRdpClient, stopProcess } from "../desktop/rdp-client";

/** The desktop stack options both paths share (the bake and the unbaked pool). */
export interface StackChoice {
  installRecommends?: boolean;
  extraPackages?: string[];
}

/** What the test installs: no recommends keeps its download small. The bench also measures the component's default. */
export const MINIMAL_STACK: StackChoice = { installRecommends: false };

export function desktopBakePlan(stack: StackChoice = MINIMAL_STACK): BakePlan {
  return planDesktopBake({
    baseImage: "test-hosts-cloud-guest-root",
    osDistro: "debian",
    osVersion: "12",
    namePrefix: "ib-desktop",
    stack,
  });
}

export interface BakeOutcome {
  image: Rootfs;
  /** Seconds from the builder's boot to cloud-init done (packages installed, marker printed). */
  seconds: number;
  /** Requests the apt proxy served: proof the packages came from the mirror. */
  proxyRequests: number;
  errors: string[];
  detail: string;
  markerState: ReturnType<typeof bakeConsoleState>;
  machineIdEmpty: boolean;
  consoleTail: string;
}

export async function bakeInGuest(
  lab: TestLab,
  base: Rootfs,
  mirrorNetwork: TestNetwork,
  proxyRequests: () => number,
  plan = desktopBakePlan(),
  name = "ibbake",
): Promise<BakeOutcome> {
  const started = Date.now();
  const before = proxyRequests();
  const builder = await lab.startGuest({
    name,
    rootfs: base,
    network: mirrorNetwork,
    nocloud: { userData: plan.userData, metaData: nocloudMetaData(`${name}-0001`, `${name}-builder`) },
    // Boot ends with cloud-final, i.e. after the packages are installed from the mirror.
    timeoutMs: 1_500_000,
  });
  const result = await builder.waitForCloudInit(1_500_000);
  const seconds = (Date.now() - started) / 1000;
  const output = await builder.exec("cat /var/log/cloud-init-output.log", { allowFailure: true });
  const consoleText = `${builder.console()}\n${output.stdout}`;
  const machineId = (await builder.exec("cat /etc/machine-id", { allowFailure: true })).stdout.trim();
  await builder.stop();
  const image = await lab.captureRootfs(builder, { name: `${name}-image`, cloudInitClean: true });
  return {
    image,
    seconds,
    proxyRequests: proxyRequests() - before,
    errors: result.errors,
    detail: result.detail,
    markerState: bakeConsoleState(consoleText, plan.packageHash),
    machineIdEmpty: machineId === "",
    consoleTail: consoleText.slice(-3000),
  };
}

export interface EmployeeDesktop {
  userData: string;
  password: string;
  rdpFileText: string;
}

/** The user data ThinClientDesktopPool sends for one employee, baked or not (run under the mock harness). */
export async function employeeDesktop(
  baked: boolean,
  stack: StackChoice = MINIMAL_STACK,
  employee = "alice",
): Promise<EmployeeDesktop> {
  const harness = installMocks();
  const run = await harness.runProgram(
    () =>
      new ThinClientDesktopPool("ib", {
        employees: [{ name: employee, fullName: "Alice Example" }],
        flavor: "m1.desktop",
        imageName: "debian-12",
        ...(baked ? { bakedDesktopImage: true } : stack),
        networkId: "net-public",
        thinClientCidr: "10.204.0.0/16",
      }),
  );
  if (run.thrown || run.errors.length)
    throw new Error(`pool program failed: ${run.thrown?.message ?? run.errors.map((e) => e.message).join("; ")}`);
  return {
    userData: run.byName(`ib-${employee}-desktop`).inputs.userData as string,
    password: (await outputValue(run.value!.passwords))[employee],
    rdpFileText: (await outputValue(run.value!.rdpFiles))[employee],
  };
}

export interface SessionOutcome {
  guest: Guest;
  /** Seconds from the start of the guest's boot to xrdp-sesman's "Session started" for the employee. */
  seconds: number;
  /** Seconds from the start of the boot until cloud-init had finished and xrdp listened (the client then connects). */
  readySeconds: number;
  cloudInitErrors: string[];
  cloudInitDetail: string;
  xvfb: ChildProcess;
  client: ChildProcess;
  display: string;
}

/**
 * Boots a desktop guest and logs the employee in as soon as it is ready. "Ready" is the same for
 * both paths: cloud-init has finished (boot-finished written, so the desktop is configured, not
 * merely installed), the employee exists and xrdp listens. Probes run every 250 ms; the thin
 * client's display (Xvfb) is up before the boot starts, as a real thin client's would be.
 */
export async function bootToRdpSession(
  lab: TestLab,
  options: {
    name: string;
    hostname: string;
    rootfs: Rootfs;
    network: TestNetwork;
    desktop: EmployeeDesktop;
    display: string;
    artifactsDir: string;
    employee?: string;
  },
): Promise<SessionOutcome> {
  const employee = options.employee ?? "alice";
  const rdpFile = path.join(options.artifactsDir, `${options.name}.rdp`);
  fs.mkdirSync(options.artifactsDir, { recursive: true });
  fs.writeFileSync(rdpFile, options.desktop.rdpFileText, { mode: 0o600 });
  const xvfb = spawn("Xvfb", [options.display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdio: "ignore" });
  await sleep(1000);
  let client: ChildProcess | undefined;
  const started = Date.now();
  let guest: Guest | undefined;
  try {
    guest = await lab.startGuest({
      name: options.name,
      rootfs: options.rootfs,
      network: options.network,
      nocloud: {
        userData: options.desktop.userData,
        metaData: nocloudMetaData(`${options.hostname}-0001`, options.hostname),
      },
      // Readiness is probed below; the full path installs packages long before boot counts as finished.
      wait: false,
      timeoutMs: 1_500_000,
    });
    const g = guest;
    const ready = `test -e /var/lib/cloud/instance/boot-finished && id -u ${employee} >/dev/null && ss -Hltn 'sport = :3389' | grep -q .`;
    await waitFor(
      `${options.name} to be ready (cloud-init finished, ${employee} exists, xrdp listening)`,
      1_500_000,
      async () => ((await g.exec(ready, { allowFailure: true, timeoutMs: 10_000 })).exitCode === 0 ? true : undefined),
    );
    const readySeconds = (Date.now() - started) / 1000;
    client = startRdpClient(options.display, rdpFile, g.ip, options.desktop.password);
    const pattern = new RegExp(`Session started successfully for user ${employee}`);
    await waitFor(`sesman to start ${employee}'s session on ${options.name}`, 120_000, async () => {
      if (pattern.test(await sesmanLog(g))) return true;
      if (client!.exitCode !== null)
        throw new StopWaiting(`xfreerdp exited before the session started\n${await diagnostics(g, client!)}`);
      return undefined;
    });
    const seconds = (Date.now() - started) / 1000;
    const result = await g.waitForCloudInit(600_000);
    return {
      guest: g,
      seconds,
      readySeconds,
      cloudInitErrors: result.errors,
      cloudInitDetail: result.detail,
      xvfb,
      client,
      display: options.display,
    };
  } catch (e) {
    stopProcess(client);
    stopProcess(xvfb);
    if (guest && e instanceof Error)
      e.message += `\n--- console of ${options.name} ---\n${guest.console().split("\n").slice(-40).join("\n")}`;
    throw e;
  }
}

export { sleep, stopProcess };
