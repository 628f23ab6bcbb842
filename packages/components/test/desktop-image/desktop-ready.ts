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
import { installMocks, outputValue } from "../../../../test/harness/pulumi-mocks";
import { Guest, nocloudMetaData, Rootfs, TestLab, TestNetwork } from "../../../../test/hosts";
import { bakeConsoleState, BakePlan, planDesktopBake } from "../../src/desktop-image/bake-plan";
import { ThinClientDesktopPool } from "../../src/desktop/thin-client-desktop-pool";
import { diagnostics, sesmanLog, sleep, startRdpClient, stopProcess, waitUntil } from "../desktop/rdp-client";

/** The desktop stack both paths install: no recommends keeps the download small (the ratio only grows with them). */
export const STACK = { installRecommends: false };

export function desktopBakePlan(): BakePlan {
  return planDesktopBake({ baseImage: "test-hosts-cloud-guest-root", osDistro: "debian", osVersion: "12", namePrefix: "ib-desktop", stack: STACK });
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

export async function bakeInGuest(lab: TestLab, base: Rootfs, mirrorNetwork: TestNetwork, proxyRequests: () => number, plan = desktopBakePlan()): Promise<BakeOutcome> {
  const started = Date.now();
  const before = proxyRequests();
  const builder = await lab.startGuest({
    name: "ibbake", rootfs: base, network: mirrorNetwork,
    nocloud: { userData: plan.userData, metaData: nocloudMetaData("ib-bake-0001", "ib-builder") },
    // Boot ends with cloud-final, i.e. after the packages are installed from the mirror.
    timeoutMs: 1_500_000,
  });
  const result = await builder.waitForCloudInit(1_500_000);
  const seconds = (Date.now() - started) / 1000;
  const output = await builder.exec("cat /var/log/cloud-init-output.log", { allowFailure: true });
  const consoleText = `${builder.console()}\n${output.stdout}`;
  const machineId = (await builder.exec("cat /etc/machine-id", { allowFailure: true })).stdout.trim();
  await builder.stop();
  const image = await lab.captureRootfs(builder, { name: "ib-baked", cloudInitClean: true });
  return {
    image, seconds, proxyRequests: proxyRequests() - before, errors: result.errors, detail: result.detail,
    markerState: bakeConsoleState(consoleText, plan.packageHash), machineIdEmpty: machineId === "", consoleTail: consoleText.slice(-3000),
  };
}

export interface EmployeeDesktop {
  userData: string;
  password: string;
  rdpFileText: string;
}

/** The user data ThinClientDesktopPool sends for one employee, baked or not (run under the mock harness). */
export async function employeeDesktop(baked: boolean, employee = "alice"): Promise<EmployeeDesktop> {
  const harness = installMocks();
  const run = await harness.runProgram(() => new ThinClientDesktopPool("ib", {
    employees: [{ name: employee, fullName: "Alice Example" }], flavor: "m1.desktop", imageName: "debian-12",
    ...(baked ? { bakedDesktopImage: true } : STACK),
    networkId: "net-public", thinClientCidr: "10.204.0.0/16",
  }));
  if (run.thrown || run.errors.length) throw new Error(`pool program failed: ${run.thrown?.message ?? run.errors.map((e) => e.message).join("; ")}`);
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
  cloudInitErrors: string[];
  cloudInitDetail: string;
  xvfb: ChildProcess;
  client: ChildProcess;
  display: string;
}

export async function bootToRdpSession(lab: TestLab, options: {
  name: string; hostname: string; rootfs: Rootfs; network: TestNetwork; desktop: EmployeeDesktop; display: string; artifactsDir: string; employee?: string;
}): Promise<SessionOutcome> {
  const employee = options.employee ?? "alice";
  const started = Date.now();
  const guest = await lab.startGuest({
    name: options.name, rootfs: options.rootfs, network: options.network,
    nocloud: { userData: options.desktop.userData, metaData: nocloudMetaData(`${options.hostname}-0001`, options.hostname) },
    // The full path installs the desktop packages before boot counts as finished.
    timeoutMs: 1_500_000,
  });
  const xvfb = spawn("Xvfb", [options.display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdio: "ignore" });
  // The session can only start once cloud-init made the user; the client retries until then.
  let client: ChildProcess | undefined;
  const rdpFile = path.join(options.artifactsDir, `${options.name}.rdp`);
  fs.mkdirSync(options.artifactsDir, { recursive: true });
  fs.writeFileSync(rdpFile, options.desktop.rdpFileText, { mode: 0o600 });
  const pattern = new RegExp(`Session started successfully for user ${employee}`);
  try {
    await waitUntil(`sesman to start ${employee}'s session on ${options.name}`, 1_500_000, async () => {
      if (client === undefined || client.exitCode !== null) {
        // xrdp answers only once its packages and config are there; a refused client is restarted.
        const listening = await guest.exec("ss -Hltn 'sport = :3389' | grep -q . && id -u " + employee, { allowFailure: true });
        if (listening.exitCode === 0) client = startRdpClient(options.display, rdpFile, guest.ip, options.desktop.password);
      }
      return pattern.test(await sesmanLog(guest)) ? true : undefined;
    }, async () => (client ? diagnostics(guest, client) : "no RDP client started (xrdp never listened or the user never existed)"));
  } catch (e) {
    stopProcess(client);
    stopProcess(xvfb);
    throw e;
  }
  const seconds = (Date.now() - started) / 1000;
  const result = await guest.waitForCloudInit(600_000);
  return { guest, seconds, cloudInitErrors: result.errors, cloudInitDetail: result.detail, xvfb, client: client!, display: options.display };
}

export { sleep, stopProcess };
