/**
 * The real two-stage bake of an XrdpDesktopImage in Debian bookworm guests booted with real systemd
 * (systemd-nspawn, test/hosts):
 * 1. guest A boots from a plain cloud-guest root (no desktop packages) and runs XrdpDesktopImage's
 *    bake user data with real cloud-init; xrdp, xorgxrdp and xfce4 really come from Debian's
 *    mirror, through the lab network's apt proxy (the only way out the guests have);
 * 2. A's root is captured as "the image" (standing in for Nova's snapshot + Glance);
 * 3. guest B boots from it on a network with no way out at all, with only the per-employee user
 *    data a baked ThinClientDesktopPool sends, and an employee logs in with xfreerdp.
 * Not real here: Nova/Glance themselves (see bake-minicloud.test.ts for the API side).
 */
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import {
  buildRootfs,
  CLOUD_GUEST_PACKAGES,
  removeRootfs,
  requireTestHosts,
  Rootfs,
  TestLab,
} from "../../../../test/hosts";
import { requireHostTools } from "../desktop/rdp-client";
import {
  bakeInGuest,
  bootToRdpSession,
  desktopBakePlan,
  employeeDesktop,
  SessionOutcome,
  sleep,
  stopProcess,
} from "./desktop-ready";

const ARTIFACTS = path.resolve(__dirname, "../../../../artifacts");

describe("XrdpDesktopImage: real two-stage bake in cloud-init guests (systemd-nspawn)", function () {
  this.timeout(40 * 60_000);
  let lab: TestLab | undefined;
  let image: Rootfs | undefined;
  let session: SessionOutcome | undefined;

  before(function () {
    requireTestHosts(this);
    requireHostTools(this);
  });

  after(async () => {
    stopProcess(session?.client);
    stopProcess(session?.xvfb);
    await lab?.cleanup();
    if (image) await removeRootfs(image).catch(() => undefined);
  });

  it("bakes in guest A from Debian's mirror, boots B from A's root with only the per-employee part, and an employee logs in over RDP", async () => {
    const plan = desktopBakePlan();
    lab = await TestLab.create({ prefix: "ib", subnet: "10.204.0.0/16" });
    const base = await buildRootfs({ name: "cloud-guest", packages: CLOUD_GUEST_PACKAGES });
    const mirrored = await lab.network({ aptProxy: true });
    const isolated = await lab.network();
    const requests = () => lab!.aptProxyRequests();

    // Stage 1: the bake, packages from the mirror.
    const bake = await bakeInGuest(lab, base, mirrored, requests, plan);
    image = bake.image;
    expect(bake.errors, bake.detail).to.deep.equal([]);
    expect(bake.markerState, bake.consoleTail).to.deep.equal({ state: "done" });
    expect(bake.proxyRequests, "the packages came through the apt proxy").to.be.greaterThan(10);
    expect(bake.machineIdEmpty, "the image carries no machine identity").to.equal(true);
    console.log(
      `      bake: cloud-init in the builder ${bake.seconds.toFixed(1)} s, ${bake.proxyRequests} mirror requests`,
    );

    // Stage 2: a desktop from the baked root, no mirror, per-employee part only.
    const desktop = await employeeDesktop(true);
    expect(desktop.userData).not.to.match(/^packages:/m);
    session = await bootToRdpSession(lab, {
      name: "ibdesk",
      hostname: "ib-alice",
      rootfs: image,
      network: isolated,
      desktop,
      display: ":204",
      artifactsDir: ARTIFACTS,
    });
    expect(session.cloudInitErrors, session.cloudInitDetail).to.deep.equal([]);
    const facts = await session.guest.exec(
      "hostname; systemctl is-active xrdp; openssl x509 -noout -subject -in /etc/ssl/certs/ssl-cert-snakeoil.pem; cat /etc/machine-id; dpkg-query -W -f='${Status}\\n' xfce4",
      { allowFailure: true },
    );
    const [host, xrdp, subject, machineId, xfce] = facts.stdout.trim().split("\n");
    expect(host).to.equal("ib-alice");
    expect(xrdp).to.equal("active");
    expect(subject, "the baked certificate was remade for this host").to.contain("ib-alice");
    expect(machineId).to.match(/^[0-9a-f]{32}$/);
    expect(xfce).to.equal("install ok installed");
    console.log(`      baked desktop: guest boot to RDP session ${session.seconds.toFixed(1)} s`);

    await sleep(10_000);
    const shot = path.join(ARTIFACTS, "desktop-image-baked-alice.png");
    const capture = spawnSync("import", ["-window", "root", shot], {
      env: { ...process.env, DISPLAY: session.display },
      encoding: "utf8",
    });
    expect(capture.status, capture.stderr).to.equal(0);
  });
});
