/**
 * XrdpDesktopImage and ThinClientDesktopPool end to end on minicloud's real guests, through the
 * real Pulumi engine: a small firm's office (test/engine/programs/desktops-guests) bakes its
 * desktop image, then boots two desktops from it.
 *  - The bake, for real: the component's dynamic provider boots a builder in zone `guests` (Nova's
 *    libvirt driver, QEMU TCG) with the bake user data, reads the bake's marker from the builder's
 *    real console log (os-getConsoleOutput), stops it, snapshots it (Nova uploads the disk to
 *    Glance), and deletes it. The image is ACTIVE in Glance with the plan's properties, and the
 *    desktops boot from it (`bakedDesktopImage`: only the per-employee user data); the bake's
 *    finishing script is in them and each has its own machine id (the bake emptied it).
 *    Not exercised here: the package download. The guests have no internet, so the bake starts
 *    from the desktop variant of the guest image (`debian-12-desktop`, build-guest-image.sh
 *    --variant desktop), whose packages are already installed: the bake's apt step installs
 *    nothing. The download through a mirror is two-stage-bake.test.ts's (nspawn guests, apt proxy).
 *  - The desktops run on the network and router
 * the pool makes itself (`networkCidr`) with the Neutron zone hint `guests`
 * (`networkAvailabilityZoneHints`): Neutron shows the hint on both, and the guests host's DHCP
 * and L3 agents serve them (without the hint minicloud schedules no agent). Then what the office
 * relies on:
 *  - each employee logs in over RDP (xfreerdp under Xvfb, with the .rdp file the pool made)
 *    through their floating IP with the generated password, read from the stack's secret output;
 *    sesman's log in the guest (read over the admin's key-only SSH) shows the session started,
 *    and a wrong password is refused;
 *  - AutoStop's session reports (`sessionReports`): the real self-service portal (packages/portal,
 *    startPortal against minicloud's Nova) listens on this host's address on `public`, which the
 *    guests reach through their router's SNAT; each guest's timer posts with its own token (made
 *    by its DesktopCredential, a secret nowhere in plain state), and while alice is logged in
 *    over RDP the portal hears her desktop active and bob's idle;
 *  - a thin client outside `thinClientCidr` is refused by the security group: an address of this
 *    host on `public` outside the block (172.24.4.254, outside the floating-IP pool too) has its
 *    RDP (and SSH) dropped while the block's address (172.24.4.1) connects; a rule admitting it
 *    (added and removed by the test) lets it connect, so the group, not the path, kept it out;
 *  - each employee's /home is a Cinder volume of their own (`homeVolumes`, a real Cinder): the
 *    desktop boots with it attached, cloud-init's bootcmd formats the blank volume and mounts it at
 *    /home before the users module makes the homes (fstab by UUID, the disk's by-id link carries
 *    the volume ID), and a preview right after `up` has nothing to do; a file is written into each
 *    employee's home;
 *  - turning sessionReports off updates each credential in place (every password stays) and
 *    rebuilds every desktop: the preview says the desktops are replaced and the home volumes are
 *    not touched; the new servers (new IDs, same ports and floating IPs) boot with the same
 *    volumes, mounted again and NOT reformatted (same file system UUID), and each file is there,
 *    still its employee's (the rebuild the office's password rotations, re-baked images and
 *    package changes also cause);
 *  - destroy leaves nothing in the cloud (checked through the APIs, not Pulumi's state) but the
 *    home volumes, retained by design (removing an employee or the pool never deletes their
 *    files) and `available`; the test deletes them.
 *
 * Needs the engine, the guests profile (`minicloud up --guests`) with Cinder, the desktop guest image built by
 * the machine's setup (.ci/setup.d/15-guest-image.sh; uploaded here when Glance lacks that build),
 * root (the outside address added to the provider veth), xfreerdp and Xvfb. Elsewhere it skips
 * with the reason; under CI it fails. Run it under the exclusive lock (`flock
 * /tmp/minicloud.lock`): two TCG guests load both cores.
 */
import { expect } from "chai";
import { ChildProcess, execFile, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { OpenStackClient, OpenStackError, loadCloud } from "@openstack-blueprints/openstack-rest";
import { DESKTOP_GUEST_IMAGE, ensureGuestImage, guestImageScript } from "../../packages/minicloud/src/guests";
import { EXTERNAL_NETWORK, GUESTS_AZ, GUESTS_HOST, PROVIDER_PEER, endpoint } from "../../packages/minicloud/src/layout";
import { NOVA_MICROVERSION, request } from "../../packages/minicloud/src/rest";
import { session } from "../../packages/minicloud/test/cloud-access";
import {
  guestSsh,
  serverConsoleTail,
  waitUntil,
  requireGuests,
  waitGuestsAgents,
} from "../../packages/minicloud/test/guest-scenario";
import { requireHostTools, startRdpClient, stopProcess } from "../../packages/components/test/desktop/rdp-client";
import { SESSION_REPORT_SERVICE } from "../../packages/components/src/desktop/session-report";
import { freerdpFingerprintOption } from "../../packages/components/src/desktop/xrdp-certificate";
import { XRDP_TLS_CERT_PATH } from "../../packages/components/src/desktop/desktop-user-data";
import { BAKE_FINISH_SCRIPT_PATH } from "../../packages/components/src/desktop-image/bake-plan";
import {
  AutoStopDecision,
  desktopsFromStackOutputs,
  parsePortalConfig,
  RunningPortal,
  startPortal,
} from "../../packages/portal/src";
import { leftovers } from "./cloud-checks";
import {
  CloudResource,
  EngineStack,
  REPO_ROOT,
  changes,
  cloudResources,
  requireEngine,
  urnName,
} from "./pulumi-engine";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";
import { freePort, probeFrom, type ProbeOutcome as Outcome } from "@openstack-blueprints/test-harness/src/tcp-probes";

const execFileP = promisify(execFile);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CLOUD = "minicloud-a";
const EMPLOYEES = ["alice", "bob"] as const;
/** The thin clients' block: holds this host's address on `public` (172.24.4.1), not .254. */
const THIN_CLIENT_CIDR = "172.24.4.0/29";
/** The admin's address: this host on `public`; SSH (key only) reads sesman's log in the guests. */
const ADMIN_CIDR = `${EXTERNAL_NETWORK.gateway}/32`;
/** A thin client outside the block: on `public`, beyond the floating-IP pool (.10–.250). */
const OUTSIDE_ADDRESS = "172.24.4.254";
const ADMIN_USER = "deskadmin";
const DISPLAY = ":217";
/** The portal's AutoStop limit; the test never lets a desktop get near it (nothing is shelved). */
const IDLE_MINUTES = 30;
const VOLUME_TYPE = "openstack:blockstorage/volume:Volume";
/** What each employee keeps in their home across the rebuild. */
const SUITE_START = Date.now();
const note = (e: string) => `${e}'s note, written before the rebuild at ${new Date(SUITE_START).toISOString()}`;

type Desktop = { serverId: string; floatingIp: string; fixedIp: string; hostname: string; homeVolumeId: string };
type Volume = { id: string; status: string; attachments: Array<{ server_id: string }> };

/** A Cinder volume as the project sees it, or undefined when Cinder says 404. */
async function getVolume(client: OpenStackClient, id: string): Promise<Volume | undefined> {
  try {
    const r = await client.session.json<{ volume: Volume }>("block-storage", { method: "GET", path: `volumes/${id}` });
    return r.body.volume;
  } catch (e) {
    if (e instanceof OpenStackError && e.status === 404) return undefined;
    throw e;
  }
}

/** Why Cinder cannot be used here, or undefined when it answers. */
async function cinderUnavailable(client: OpenStackClient): Promise<string | undefined> {
  try {
    await client.session.json("block-storage", { method: "GET", path: "volumes" });
    return undefined;
  } catch (e) {
    return `minicloud has no answering Cinder (block-storage in the catalog): ${(e as Error).message.split("\n")[0]}`;
  }
}

/** Probes until the wanted outcome (the L2 agent applies a rule change within seconds), or the last one. */
async function untilOutcome(from: string, host: string, port: number, want: Outcome, timeoutS = 45): Promise<Outcome> {
  const deadline = Date.now() + timeoutS * 1000;
  let got: Outcome;
  do {
    got = await probeFrom(from, host, port, 4000);
    if (got === want) return got;
    await sleep(1000);
  } while (Date.now() < deadline);
  return got;
}

describe("real engine: XrdpDesktopImage baked on minicloud's real guests, ThinClientDesktopPool booted from it (RDP through floating IPs)", function () {
  this.timeout(40 * 60_000);
  let bin: string;
  let client: OpenStackClient | undefined;
  let stack: EngineStack | undefined;
  let work = "";
  let keyFile = "";
  let addedOutside = false;
  let xvfb: ChildProcess | undefined;
  const rdpClients: ChildProcess[] = [];
  let ids: CloudResource[] = [];
  let bake: { imageId: string; imageName: string; packageHash: string; baseImageId: string } | undefined;
  let upStarted = 0;
  let desktops: Record<string, Desktop> = {};
  let passwords: Record<string, string> = {};
  let tlsFingerprints: Record<string, string> = {};
  let rdpFiles: Record<string, string> = {};
  let securityGroupId = "";
  let networkId = "";
  let portal: RunningPortal | undefined;
  let portalUrl = "";
  /** Each employee's home file system (UUID) at first boot: the rebuilt desktop must mount the same. */
  const fsUuids: Record<string, string> = {};
  /** The desktops after the rebuild (sessionReports off). */
  let rebuilt: Record<string, Desktop> = {};
  /** Home volumes retained by design: the test deletes them, whatever happens. */
  let volumesLeft: string[] = [];
  const t0 = Date.now();
  const phase = (name: string, since: number) =>
    console.log(`    ${name}: ${((Date.now() - since) / 1000).toFixed(1)} s`);

  before(async function () {
    bin = requireEngine(this);
    await requireGuests(this);
    requireHostTools(this);
    // The desktop image is built by the machine's setup (.ci/setup.d/15-guest-image.sh, cached
    // by recipe); this test only uploads it when Glance lacks that build.
    const built =
      spawnSync("bash", [guestImageScript(), "--variant", DESKTOP_GUEST_IMAGE.variant, "--print-dir"]).status === 0;
    const why =
      process.getuid?.() !== 0
        ? "root is needed (the outside thin client's address on the provider veth)"
        : !built
          ? "the desktop guest image is not built for this recipe: run `bash .ci/setup.d/15-guest-image.sh` (or build-guest-image.sh --variant desktop)"
          : undefined;
    if (why) unavailableHere(this, why);
    let start = Date.now();
    const admin = await session("minicloud-admin");
    const baseImageId = await ensureGuestImage(admin, (m) => console.log(`    ${m}`), DESKTOP_GUEST_IMAGE);
    phase(`desktop image ${DESKTOP_GUEST_IMAGE.name} uploaded (already there: a lookup)`, start);
    client = await new OpenStackClient(loadCloud(CLOUD)).connect();
    const noCinder = await cinderUnavailable(client);
    if (noCinder) unavailableHere(this, noCinder);

    work = fs.mkdtempSync(path.join(os.tmpdir(), "desktops-guests-"));
    keyFile = path.join(work, "admin_ed25519");
    await execFileP("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "desktops-guests-admin", "-f", keyFile]);
    // The outside thin client: a second address of this host on `public` (a /32: no route changes).
    const addrs = spawnSync("ip", ["-o", "-4", "addr", "show", "dev", PROVIDER_PEER], { encoding: "utf8" }).stdout;
    if (!addrs.includes(` ${OUTSIDE_ADDRESS}/32 `)) {
      const r = spawnSync("ip", ["addr", "add", `${OUTSIDE_ADDRESS}/32`, "dev", PROVIDER_PEER], { encoding: "utf8" });
      if (r.status !== 0) throw new Error(`ip addr add ${OUTSIDE_ADDRESS}/32 dev ${PROVIDER_PEER}: ${r.stderr}`);
      addedOutside = true;
    }
    // The portal's address as the guests reach it: this host on `public`, behind their router's
    // SNAT. Its port is chosen now: the URL goes into the desktops' user data.
    portalUrl = `http://${EXTERNAL_NETWORK.gateway}:${await freePort(EXTERNAL_NETWORK.gateway)}/`;
    xvfb = spawn("Xvfb", [DISPLAY, "-screen", "0", "1280x800x24", "-nolisten", "tcp"], { stdio: "ignore" });
    await sleep(1500);
    if (xvfb.exitCode !== null) throw new Error(`Xvfb did not start on ${DISPLAY} (display in use?)`);

    start = Date.now();
    stack = new EngineStack(bin, {
      programDir: path.join(REPO_ROOT, "test/engine/programs/desktops-guests"),
      runName: "desktops-guests",
      cloud: CLOUD,
      config: {
        "engine-test-desktops-guests:thinClientCidr": THIN_CLIENT_CIDR,
        "engine-test-desktops-guests:adminCidr": ADMIN_CIDR,
        "engine-test-desktops-guests:dnsNameserver": EXTERNAL_NETWORK.gateway,
        "engine-test-desktops-guests:portalUrl": portalUrl,
        "engine-test-desktops-guests:adminPublicKey": fs.readFileSync(`${keyFile}.pub`, "utf8").trim(),
        "engine-test-desktops-guests:baseImageId": baseImageId,
      },
      timeoutMs: 20 * 60_000,
    });
    await stack.init();
    phase("stack init", start);
  });

  after(async function () {
    rdpClients.forEach(stopProcess);
    stopProcess(xvfb);
    await portal?.close().catch(() => undefined);
    const problems: string[] = [];
    if (stack) {
      const start = Date.now();
      const state = await stack.exportState().catch(() => undefined);
      const left = state ? cloudResources(state) : [];
      for (const r of left) if (r.type === VOLUME_TYPE && !volumesLeft.includes(r.id)) volumesLeft.push(r.id);
      if (left.length > 0) {
        const r = await stack.run(["destroy", "--yes", "--skip-preview"]);
        if (r.code !== 0) problems.push(`destroy in after() exited ${r.code}: ${r.stderr.slice(-500)}`);
        phase("destroy (cleanup after a failure)", start);
      }
      await stack.remove();
    }
    // The home volumes are retained by design: the test deletes them (once Nova has let go of them).
    for (const id of client ? volumesLeft : []) {
      try {
        await deleteVolume(id);
      } catch (e) {
        problems.push(`could not delete the retained home volume ${id}: ${(e as Error).message}`);
      }
    }
    if (addedOutside) spawnSync("ip", ["addr", "del", `${OUTSIDE_ADDRESS}/32`, "dev", PROVIDER_PEER]);
    client?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
    if (problems.length) throw new Error(problems.join("\n"));
  });

  async function deleteVolume(id: string): Promise<void> {
    const deadline = Date.now() + 180_000;
    for (;;) {
      const v = await getVolume(client!, id);
      if (!v) return;
      if (v.status === "available" || v.status === "error") {
        await client!.session.json("block-storage", { method: "DELETE", path: `volumes/${id}` }).catch((e: Error) => {
          if (!(e instanceof OpenStackError && e.status === 404)) throw e;
        });
        while (await getVolume(client!, id)) {
          if (Date.now() > deadline) throw new Error(`volume ${id} still exists after its delete`);
          await sleep(2000);
        }
        return;
      }
      if (Date.now() > deadline) {
        // A volume left "in-use" by a server that is gone: Nova's detach was refused by Cinder
        // (nova-compute's log: ConflictNovaUsingAttachment, when Nova sends no service token).
        // Clean it up as admin, and fail: the cloud did not give the volume back.
        const admin = await new OpenStackClient(loadCloud("minicloud-admin")).connect();
        try {
          await admin.session.json("block-storage", {
            method: "POST",
            path: `volumes/${id}/action`,
            body: { "os-reset_status": { status: "available", attach_status: "detached" } },
          });
          await admin.session.json("block-storage", { method: "DELETE", path: `volumes/${id}` });
        } finally {
          admin.close();
        }
        throw new Error(
          `volume ${id} stayed ${v.status} (attachments ${JSON.stringify(v.attachments)}) after its server was deleted; ` +
            "reset and deleted as admin. Nova's detach was refused by Cinder? See nova-compute-guests.log",
        );
      }
      await sleep(3000);
    }
  }

  const ssh = (address: string, command: string, timeoutMs = 60_000): Promise<string> =>
    guestSsh({ keyFile, user: ADMIN_USER }, address, command, timeoutMs);

  const waitFor = waitUntil;
  const consoleTail = (serverId: string) => serverConsoleTail(CLOUD, serverId, 40);

  /**
   * Waits for SSH and cloud-init on an employee's desktop; cloud-init must be done without errors
   * (nothing at first boot needs the internet, and the home volume's steps must not fail).
   */
  async function booted(e: string, desktop: Desktop, label: string): Promise<void> {
    const { floatingIp: fip, serverId } = desktop;
    const start = Date.now();
    await waitFor(`ssh as ${ADMIN_USER} on ${fip} (${e}, ${label})`, 900, async () =>
      (await ssh(fip, "true", 20_000)) === "" ? true : undefined,
    ).catch(async (err: Error) => {
      throw new Error(`${err.message}\nconsole of ${e}'s desktop:\n${await consoleTail(serverId)}`);
    });
    phase(
      `${e} (${label}): ssh on the floating IP (since the suite began: ${((Date.now() - t0) / 1000).toFixed(0)} s)`,
      start,
    );
    // cloud-init's config stage restarts sshd: a login landing then is retried; a finished
    // cloud-init with errors is an answer (status exits non-zero), not a reason to wait.
    const status = await waitFor(`cloud-init on ${e}'s desktop (${label})`, 900, () =>
      ssh(fip, "cloud-init status --wait --long; true", 15 * 60_000),
    );
    phase(`${e} (${label}): cloud-init done`, start);
    if (!/^status: done$/m.test(status) || /errors:\s*\n\s*-/.test(status))
      console.log(
        await ssh(
          fip,
          "sudo tail -n 40 /var/log/cloud-init-output.log; sudo journalctl -n 30 --no-pager -u xrdp -u xrdp-sesman",
        ).catch((err: Error) => err.message),
      );
    expect(status).to.match(/^status: done$/m);
    expect(status, "cloud-init ran without errors (nothing needed the internet)").to.not.match(/errors:\s*\n\s*-/);
  }

  /**
   * What the desktop says about /home once cloud-init is done: the home volume's steps in this
   * boot's cloud-init log (the root disk is new at each rebuild: this boot's log only), the mount,
   * its fstab entry, and the volume behind it.
   */
  async function homeOf(desktop: Desktop, label: string): Promise<{ fstype: string; uuid: string; log: string }> {
    const fip = desktop.floatingIp;
    const log = await ssh(fip, "sudo cat /var/log/cloud-init-output.log");
    expect(log, "the mount step ran without error").not.to.match(
      /\[mount the employee's home volume at \/home\] (error|warning)/,
    );
    expect(log, "the ownership step ran without error").not.to.match(
      /\[give the home volume's homes to their users\] error/,
    );
    expect(log, "the mount step ran at this boot").to.contain("changed: mounted /dev/");
    const [source, fstype] = (await ssh(fip, "findmnt -n -o SOURCE,FSTYPE --mountpoint /home")).trim().split(/\s+/);
    const uuid = (await ssh(fip, `sudo blkid -p -o value -s UUID ${source}`)).trim();
    expect(await ssh(fip, "cat /etc/fstab")).to.contain(`UUID=${uuid} /home ext4 defaults,nofail 0 2`);
    // The disk behind /home is the volume: its by-id link carries the volume ID's first 20 characters.
    expect(await ssh(fip, "ls -l /dev/disk/by-id/")).to.match(
      new RegExp(`virtio-${desktop.homeVolumeId.slice(0, 20)} -> \\.\\./\\.\\./${path.basename(source)}\\b`),
    );
    console.log(
      `    ${desktop.hostname} (${label}): /home is ${source} (${fstype}, UUID ${uuid}) = volume ${desktop.homeVolumeId}`,
    );
    return { fstype, uuid, log };
  }

  // Retried: on a loaded machine one SSH login can miss its 10 s connect timeout, and a lost
  // read of the log is not what the callers test.
  const sesmanLog = (address: string) =>
    waitFor(`sesman's log on ${address}`, 60, () => ssh(address, "sudo cat /var/log/xrdp-sesman.log"));

  it("up: two desktops ACTIVE on the libvirt host in zone `guests`, floating IPs, passwords only as secrets", async () => {
    upStarted = Date.now();
    const up = await stack!.up();
    phase("pulumi up (the bake, the pool's network and router, its desktops to ACTIVE)", upStarted);
    expect(changes(up.summary)).to.have.keys("create");
    const state = await stack!.exportState();
    ids = await stack!.cloudResources();
    const outputs = await stack!.outputs();
    desktops = outputs.desktops as Record<string, Desktop>;
    passwords = outputs.passwords as Record<string, string>;
    rdpFiles = outputs.rdpFiles as Record<string, string>;
    // Each desktop's xrdp certificate is the pool's: its fingerprint is on the connection sheet, so a
    // thin client pins it instead of trusting whatever answers on first use.
    tlsFingerprints = outputs.tlsFingerprints as Record<string, string>;
    for (const e of EMPLOYEES) {
      expect(tlsFingerprints[e], `${e}'s fingerprint`).to.match(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
      expect(String(outputs.connectionSheet)).to.contain(`: \`${tlsFingerprints[e]}\``);
    }
    securityGroupId = String(outputs.securityGroupId);
    networkId = String(outputs.networkId);
    expect(Object.keys(desktops)).to.have.members([...EMPLOYEES]);
    const plain = await stack!.plainOutputs();
    for (const e of EMPLOYEES) {
      expect(passwords[e]).to.match(/^[A-Za-z0-9]{20}$/);
      expect(plain, "the plain outputs never show a password").not.to.include(passwords[e]);
    }
    // The report tokens: one per desktop, from its credential, secret in the outputs and the state.
    const tokens = outputs.reportTokens as Record<string, string>;
    const exported = JSON.stringify(state);
    for (const e of EMPLOYEES) {
      expect(tokens[e], `${e}'s report token`).to.match(/^[A-Za-z0-9]{48}$/);
      expect(plain, "the plain outputs never show a report token").not.to.include(tokens[e]);
      expect(exported, "the state holds the report token only encrypted").not.to.include(tokens[e]);
      expect(exported, "the state holds the password only encrypted").not.to.include(passwords[e]);
    }
    expect(tokens.alice).not.to.equal(tokens.bob);
    // One home volume per employee, retained by design: after() deletes them whatever happens below.
    expect(ids.filter((r) => r.type === VOLUME_TYPE).map((r) => r.name)).to.have.members(
      EMPLOYEES.map((e) => `office-${e}-home`),
    );
    volumesLeft = EMPLOYEES.map((e) => desktops[e].homeVolumeId);
    const admin = await session("minicloud-admin");
    for (const e of EMPLOYEES) {
      const sv = (
        await request(admin, "GET", `${endpoint("nova")}/servers/${desktops[e].serverId}`, {
          headers: NOVA_MICROVERSION,
        })
      ).body.server;
      expect(sv.status, `${e}'s desktop`).to.equal("ACTIVE");
      expect(sv["OS-EXT-AZ:availability_zone"]).to.equal(GUESTS_AZ);
      expect(sv["OS-EXT-SRV-ATTR:host"]).to.equal(GUESTS_HOST);
      expect(desktops[e].floatingIp).to.match(/^172\.24\.4\.\d+$/);
      // The home volume is attached at boot (a block device mapping), and Cinder says so.
      expect(
        sv["os-extended-volumes:volumes_attached"].map((v: { id: string }) => v.id),
        `${e}'s attached volumes`,
      ).to.deep.equal([desktops[e].homeVolumeId]);
      expect((await getVolume(client!, desktops[e].homeVolumeId))?.status, `${e}'s home volume`).to.equal("in-use");
      console.log(`    ${e}: ${desktops[e].hostname} ${desktops[e].fixedIp} -> ${desktops[e].floatingIp}`);
    }
    // Nothing drifts: a second preview has nothing to do (the block device mappings read back as
    // declared). It runs while the desktops boot.
    const start = Date.now();
    const again = await stack!.preview();
    phase("pulumi preview right after up", start);
    expect(
      again.steps.filter((st) => st.op !== "same").map((st) => `${st.op} ${urnName(st.urn)}`),
      "a preview right after up",
    ).to.deep.equal([]);
    // The real portal, configured from the stack's outputs as `blueprints portal --outputs` does
    // (it keeps the hashes of the tokens only), against minicloud's Nova, on the URL the guests got.
    const url = new URL(portalUrl);
    portal = await startPortal(
      parsePortalConfig({
        cloud: CLOUD,
        listen: { host: url.hostname, port: Number(url.port) },
        insecureHttpCookies: true,
        // Its own AutoStop timer runs hourly; the test reads its decisions with autoStopOnce().
        autoStop: { idleMinutes: IDLE_MINUTES, checkEveryMinutes: 60 },
        desktops: desktopsFromStackOutputs(outputs, "the desktops-guests stack's outputs", ""),
      }),
    );
    expect(portal.url).to.equal(portalUrl);
  });

  it("the bake: after the builder's console marker, an ACTIVE image in Glance with the plan's properties; the builder is gone; both desktops boot from it", async () => {
    expect(Object.keys(desktops), "the up step deployed the pool").to.have.length(2);
    const state = await stack!.exportState();
    const baked = (state.deployment.resources ?? []).filter((r) => r.type.endsWith("desktop-image:BakedImage"));
    expect(baked.map((r) => urnName(r.urn))).to.deep.equal(["office-image-bake"]);
    const outs = baked[0].outputs as Record<string, unknown>;
    const outputs = await stack!.outputs();
    bake = {
      imageId: String(outputs.imageId),
      imageName: String(outputs.imageName),
      packageHash: String(outputs.packageHash),
      baseImageId: String(outs.baseImageId),
    };
    // The provider went past the console wait because the marker was in the real console log
    // (not skipped: skipConsoleWait is for the fake driver only), then snapshotted.
    expect(outs.consoleWait, "how the bake ended its console wait").to.equal("marker");
    expect(bake.imageId).to.equal(baked[0].id);
    expect(bake.packageHash).to.match(/^[0-9a-f]{64}$/);
    expect(bake.imageName).to.equal(`office-image-${bake.packageHash.slice(0, 12)}`);

    const image = await client!.glance.getImage(bake.imageId);
    const props = image as unknown as Record<string, unknown>;
    console.log(
      `    image ${image.name} ${image.id}: ${image.status}, ${((image.size ?? 0) / 2 ** 20).toFixed(0)} MiB, kernel_id ${String(props.kernel_id)}`,
    );
    expect(image.status).to.equal("active");
    expect(image.name).to.equal(bake.imageName);
    const base = await client!.glance.getImage(bake.baseImageId);
    expect(base.name, "the bake's base image").to.equal(DESKTOP_GUEST_IMAGE.name);
    expect(props).to.include({
      os_distro: "debian",
      os_version: "12",
      desktop: "xrdp",
      blueprints_package_hash: bake.packageHash,
      blueprints_base_image: bake.baseImageId,
      blueprints_rdp_group: "tsusers",
    });
    expect(String(props.blueprints_packages).split(",")).to.include.members(["xrdp", "xorgxrdp", "xfce4"]);
    expect(image.size ?? 0, "a real snapshot: the builder's disk, not an empty image").to.be.greaterThan(100 * 2 ** 20);

    // The builder was deleted once the snapshot was made.
    const builderId = String(outs.builderId);
    expect(await client!.nova.findServer(builderId), `builder ${builderId}`).to.equal(undefined);
    expect((await client!.nova.listServers()).filter((sv) => sv.name === `${bake!.imageName}-builder`)).to.deep.equal(
      [],
    );

    // Nova's admin view of deleted servers: the builder ran on the guests host (a real guest,
    // whose console printed the marker) and is deleted.
    const admin = await session("minicloud-admin");
    const gone = (
      await request(admin, "GET", `${endpoint("nova")}/servers/detail?deleted=true&all_tenants=1`, {
        headers: NOVA_MICROVERSION,
      })
    ).body.servers.filter((sv: { id: string }) => sv.id === builderId);
    expect(gone, "the deleted builder in Nova's admin view").to.have.length(1);
    expect(gone[0].status).to.equal("DELETED");
    expect(gone[0]["OS-EXT-AZ:availability_zone"]).to.equal(GUESTS_AZ);
    expect(gone[0]["OS-EXT-SRV-ATTR:host"]).to.equal(GUESTS_HOST);

    // The desktops were booted from the baked image, after it: the bake's share of `up`.
    let firstDesktop = Infinity;
    for (const e of EMPLOYEES) {
      const sv = (
        await request(admin, "GET", `${endpoint("nova")}/servers/${desktops[e].serverId}`, {
          headers: NOVA_MICROVERSION,
        })
      ).body.server;
      expect(sv.image?.id, `${e}'s desktop's image`).to.equal(bake.imageId);
      firstDesktop = Math.min(firstDesktop, Date.parse(sv.created));
    }
    console.log(
      `    the bake (up's start -> first desktop created): ${((firstDesktop - upStarted) / 1000).toFixed(0)} s`,
    );
  });

  it("the pool's own network and router carry the zone hint `guests`; the guests host's agents serve them", async () => {
    // networkCidr + networkAvailabilityZoneHints: the pool made them (no network of the program's
    // own), and only zone-hinted ones get minicloud's DHCP and L3 agents on the guests host.
    // The program's own network and router are the builder's (builder-lan, builder-router).
    const routers = ids.filter((r) => r.type === "openstack:networking/router:Router" && r.name !== "builder-router");
    const networks = ids.filter((r) => r.type === "openstack:networking/network:Network" && r.name !== "builder-lan");
    expect(
      networks.map((n) => n.id),
      "the pool's network is its networkId output",
    ).to.deep.equal([networkId]);
    expect(routers, "the pool's network made one router").to.have.length(1);
    const admin = await session("minicloud-admin");
    const neutron = `${endpoint("neutron")}/v2.0`;
    const network = (await request(admin, "GET", `${neutron}/networks/${networkId}`)).body.network;
    const router = (await request(admin, "GET", `${neutron}/routers/${routers[0].id}`)).body.router;
    expect(network.availability_zone_hints, "the network's zone hints").to.deep.equal([GUESTS_AZ]);
    expect(router.availability_zone_hints, "the router's zone hints").to.deep.equal([GUESTS_AZ]);
    const agents = await waitGuestsAgents(admin, networkId, routers[0].id, 60);
    console.log(
      `    network ${network.name}: DHCP on ${agents.dhcp.join(", ")}; router ${router.name}: L3 on ${agents.l3.join(", ")}`,
    );
    expect(agents.dhcp, "hosts of the network's DHCP agents").to.deep.equal([GUESTS_HOST]);
    expect(agents.l3, "hosts of the router's L3 agents").to.deep.equal([GUESTS_HOST]);
  });

  it("each employee logs in over RDP through their floating IP with the generated password", async () => {
    expect(Object.keys(desktops), "the previous step deployed the pool").to.have.length(2);
    const machineIds: string[] = [];
    for (const e of EMPLOYEES) {
      const fip = desktops[e].floatingIp;
      await booted(e, desktops[e], "first boot");
      expect((await ssh(fip, "sudo systemctl is-active xrdp xrdp-sesman")).trim().split("\n")).to.deep.equal([
        "active",
        "active",
      ]);
      // The baked image's own content: the bake's finishing script (the base image has none), and
      // a machine id made at this desktop's first boot (the bake left the file empty).
      expect(await ssh(fip, `test -x ${BAKE_FINISH_SCRIPT_PATH} && echo baked`)).to.equal("baked\n");
      machineIds.push((await ssh(fip, "cat /etc/machine-id")).trim());

      // The home volume: formatted at this first boot, mounted at /home before the users module
      // made the employee's home there, owned by them; a file of theirs for the rebuild to keep.
      const home = await homeOf(desktops[e], "first boot");
      expect(home.fstype).to.equal("ext4");
      expect(home.log, "the blank volume was formatted at first boot").to.contain(
        "changed: made an ext4 file system on /dev/",
      );
      fsUuids[e] = home.uuid;
      expect((await ssh(fip, `stat -c '%U %F' /home/${e}`)).trim()).to.equal(`${e} directory`);
      await ssh(fip, `printf '%s\\n' "${note(e)}" | sudo -u ${e} tee /home/${e}/notes.txt >/dev/null; sync`);
      expect((await ssh(fip, `cat /home/${e}/notes.txt`)).trim()).to.equal(note(e));

      const start = Date.now();
      const rdpFile = path.join(work, `${e}.rdp`);
      fs.writeFileSync(rdpFile, rdpFiles[e]);
      const mark = (await sesmanLog(fip)).split("\n").length;
      // The guest serves the pool's certificate, and the client logs in pinning its fingerprint.
      expect(
        (await ssh(fip, `sudo openssl x509 -noout -fingerprint -sha256 -in ${XRDP_TLS_CERT_PATH}`)).trim(),
      ).to.equal(`sha256 Fingerprint=${tlsFingerprints[e]}`);
      const rdp = startRdpClient(
        DISPLAY,
        rdpFile,
        fip,
        passwords[e],
        `deny,${freerdpFingerprintOption(tlsFingerprints[e])}`,
      );
      rdpClients.push(rdp);
      const started = await waitFor(`sesman to start ${e}'s session`, 120, async () => {
        if (rdp.exitCode !== null)
          throw new Error(`xfreerdp exited ${rdp.exitCode}: ${(rdp as ChildProcess & { log: () => string }).log()}`);
        const lines = (await sesmanLog(fip)).split("\n").slice(mark - 1);
        return lines.find((l) => l.includes(`Session started successfully for user ${e}`));
      });
      phase(`${e}: RDP login -> session started`, start);
      expect(started).to.contain(`user ${e}`);
      // The session is the employee's own: their X server (xorgxrdp) runs as them in the guest.
      expect(await ssh(fip, `pgrep -u ${e} -l Xorg`)).to.match(/Xorg/);
      stopProcess(rdp);
    }
    expect(machineIds[0]).to.match(/^[0-9a-f]{32}$/);
    expect(machineIds[1], "each desktop from the image has its own machine id").to.match(/^[0-9a-f]{32}$/);
    expect(machineIds[0]).to.not.equal(machineIds[1]);
  });

  it("a wrong password is refused: sesman starts no session", async () => {
    const fip = desktops.alice.floatingIp;
    const rdpFile = path.join(work, "alice.rdp");
    const mark = (await sesmanLog(fip)).split("\n").length;
    const bad = startRdpClient(DISPLAY, rdpFile, fip, `${passwords.alice}-wrong`);
    rdpClients.push(bad);
    const refused = await waitFor("sesman to refuse the wrong password", 90, async () =>
      (await sesmanLog(fip))
        .split("\n")
        .slice(mark - 1)
        .find((l) => l.includes("AUTHFAIL: user=alice")),
    );
    expect(refused).to.contain("AUTHFAIL: user=alice");
    await sleep(3000);
    const after = (await sesmanLog(fip)).split("\n").slice(mark - 1);
    expect(after.filter((l) => l.includes("Session started successfully"))).to.deep.equal([]);
    stopProcess(bad);
  });

  it("session reports: while alice is logged in over RDP the portal hears her desktop active and bob's idle", async () => {
    expect(portal, "the up step started the portal").to.not.equal(undefined);
    let start = Date.now();
    // The guests' timers (every minute) reach the portal through their router: first reports.
    const reasons = async (): Promise<Record<string, string>> =>
      Object.fromEntries(((await portal!.app.autoStopOnce()) as AutoStopDecision[]).map((d) => [d.employee, d.reason]));
    const reporterLog = (e: string) =>
      ssh(desktops[e].floatingIp, `sudo journalctl -u ${SESSION_REPORT_SERVICE} -n 5 --no-pager`).catch(
        (err: Error) => err.message,
      );
    const first = await waitFor("both desktops' first session reports at the portal", 180, async () => {
      const r = await reasons();
      return EMPLOYEES.every((e) => !r[e].startsWith("no report")) ? r : undefined;
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\nalice's reporter:\n${await reporterLog("alice")}`);
    });
    phase(`first reports heard (${JSON.stringify(first)})`, start);
    // The reporter's own words in the guest: a report answered 204 by the portal.
    expect(await reporterLog("bob")).to.match(
      /reported active=(true|false) \(\d+ connection\(s\) on port 3389\): HTTP 204/,
    );

    start = Date.now();
    const fip = desktops.alice.floatingIp;
    const rdp = startRdpClient(DISPLAY, path.join(work, "alice.rdp"), fip, passwords.alice);
    rdpClients.push(rdp);
    // The report unit run now (the same unit the guest's timer ran for the first reports above,
    // sent with no help), not at the timer's next tick: up to a minute of waiting saved.
    const during = await waitFor("the portal to hear alice's session (her guest's report unit)", 180, async () => {
      if (rdp.exitCode !== null)
        throw new Error(`xfreerdp exited ${rdp.exitCode}: ${(rdp as ChildProcess & { log: () => string }).log()}`);
      await ssh(fip, `sudo systemctl start ${SESSION_REPORT_SERVICE}`);
      const r = await reasons();
      return r.alice === "a session is active" ? r : undefined;
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\nalice's reporter:\n${await reporterLog("alice")}`);
    });
    phase("alice's session heard by the portal", start);
    expect(rdp.exitCode, "alice's RDP client is still connected").to.equal(null);
    expect(during.alice).to.equal("a session is active");
    expect(during.bob).to.match(new RegExp(`^idle for \\d+ of ${IDLE_MINUTES} min$`));
    expect(await reporterLog("alice")).to.match(/reported active=true \(\d+ connection\(s\) on port 3389\): HTTP 204/);

    // alice leaves: her guest's next report (the same unit, run now) says idle, and the portal follows.
    stopProcess(rdp);
    const after = await waitFor("the portal to hear alice idle after she left", 60, async () => {
      await ssh(fip, `sudo systemctl start ${SESSION_REPORT_SERVICE}`);
      const r = await reasons();
      return r.alice.startsWith("idle for") ? r : undefined;
    });
    expect(after.alice).to.match(new RegExp(`^idle for \\d+ of ${IDLE_MINUTES} min$`));
  });

  it("a thin client outside thinClientCidr is refused by the security group; one inside connects", async () => {
    const start = Date.now();
    // All at once: a dropped connection is a 5 s timeout, and the probes do not share anything.
    const probes = await Promise.all(
      EMPLOYEES.map(async (e) => {
        const fip = desktops[e].floatingIp;
        const [inside, outsideRdp, outsideSsh] = await Promise.all([
          probeFrom(EXTERNAL_NETWORK.gateway, fip, 3389),
          probeFrom(OUTSIDE_ADDRESS, fip, 3389),
          probeFrom(OUTSIDE_ADDRESS, fip, 22),
        ]);
        return { e, inside, outsideRdp, outsideSsh };
      }),
    );
    for (const { e, inside, outsideRdp, outsideSsh } of probes) {
      expect(inside, `RDP to ${e} from inside the block`).to.equal("connected");
      expect(outsideRdp, `RDP to ${e} from ${OUTSIDE_ADDRESS}`).to.equal("timeout");
      expect(outsideSsh, `SSH to ${e} from outside the admin's address`).to.equal("timeout");
    }
    // The control: the outside address's path works, only the group keeps it out. A rule for it
    // (made here through Neutron, removed again) lets it connect; without the rule it is dropped.
    const neutron = `${endpoint("neutron")}/v2.0`;
    const user = await session(CLOUD);
    const rule = (
      await request(user, "POST", `${neutron}/security-group-rules`, {
        body: {
          security_group_rule: {
            security_group_id: securityGroupId,
            direction: "ingress",
            ethertype: "IPv4",
            protocol: "tcp",
            port_range_min: 3389,
            port_range_max: 3389,
            remote_ip_prefix: `${OUTSIDE_ADDRESS}/32`,
          },
        },
      })
    ).body.security_group_rule.id as string;
    try {
      const fip = desktops.alice.floatingIp;
      expect(await untilOutcome(OUTSIDE_ADDRESS, fip, 3389, "connected"), "admitted by a rule for it").to.equal(
        "connected",
      );
    } finally {
      await request(user, "DELETE", `${neutron}/security-group-rules/${rule}`, { expect: [204, 404] });
    }
    expect(await untilOutcome(OUTSIDE_ADDRESS, desktops.alice.floatingIp, 3389, "timeout"), "dropped again").to.equal(
      "timeout",
    );
    phase("outside/inside probes", start);
  });

  it("turning sessionReports off updates each credential in place and rebuilds the desktops: the preview says so and leaves the home volumes, every password stays", async () => {
    const start = Date.now();
    const credentials = async () =>
      Object.fromEntries(
        ((await stack!.exportState()).deployment.resources ?? [])
          .filter((r) => r.type.endsWith(":DesktopCredential"))
          .map((r) => [urnName(r.urn), r.id]),
      );
    const before = await credentials();
    expect(Object.keys(before)).to.have.members(["office-alice-credential", "office-bob-credential"]);
    await stack!.ok(["config", "rm", "engine-test-desktops-guests:portalUrl"]);
    const preview = await stack!.preview();
    const ops = (type: string) =>
      preview.steps
        .filter((st) => (st.newState ?? st.oldState)?.type.endsWith(type))
        .map((st) => `${urnName(st.urn)} ${st.op}`);
    // The engine asks the credential provider's diff: an update, not a replacement (a new password).
    expect(ops(":DesktopCredential")).to.have.members([
      "office-alice-credential update",
      "office-bob-credential update",
    ]);
    // The desktops are rebuilt (the reporter leaves their user data), and the preview says so.
    const servers = ops("openstack:compute/instance:Instance");
    for (const e of EMPLOYEES)
      expect(servers.filter((o) => o.startsWith(`office-${e}-desktop `)).join()).to.match(/replace/);
    // The home volumes are not touched: an unchanged resource has no step in `preview --json` (or
    // a "same" one).
    const byName = Object.fromEntries(preview.steps.map((st) => [urnName(st.urn), st.op]));
    for (const e of EMPLOYEES)
      expect([undefined, "same"], `${e}'s home volume is not touched`).to.include(byName[`office-${e}-home`]);
    const up = await stack!.up();
    phase("sessionReports off: pulumi up (credentials updated, desktops rebuilt)", start);
    expect(changes(up.summary)).to.include.keys("replace");
    expect(await credentials(), "the same credentials (IDs), updated in place").to.deep.equal(before);
    const outputs = await stack!.outputs();
    expect(outputs.passwords, "every employee keeps their password").to.deep.equal(passwords);
    expect(outputs.reportTokens, "no report tokens without sessionReports").to.deep.equal({});
    rebuilt = outputs.desktops as Record<string, Desktop>;
    for (const e of EMPLOYEES) {
      expect(rebuilt[e].serverId, `${e}: a new server`).not.to.equal(desktops[e].serverId);
      expect(rebuilt[e].homeVolumeId, `${e}: the same volume`).to.equal(desktops[e].homeVolumeId);
      expect(rebuilt[e].floatingIp, `${e}: the same address (the port and its floating IP stay)`).to.equal(
        desktops[e].floatingIp,
      );
    }
  });

  it("the rebuilt desktops mount the same home volumes, not reformatted: each employee's file is there, still theirs", async () => {
    expect(Object.keys(rebuilt), "the previous step rebuilt the desktops").to.have.members([...EMPLOYEES]);
    const start = Date.now();
    // Both booted at once by the rebuild: waited for together.
    await Promise.all(
      EMPLOYEES.map(async (e) => {
        const fip = rebuilt[e].floatingIp;
        await booted(e, rebuilt[e], "after the rebuild");
        const home = await homeOf(rebuilt[e], "after the rebuild");
        expect(home.uuid, `${e}: the same file system, not reformatted`).to.equal(fsUuids[e]);
        expect(home.log, `${e}: no file system was made at this boot`).not.to.contain("file system on /dev/");
        expect((await ssh(fip, `cat /home/${e}/notes.txt`)).trim()).to.equal(note(e));
        expect((await ssh(fip, `stat -c '%U' /home/${e}/notes.txt`)).trim()).to.equal(e);
      }),
    );
    phase("the rebuilt desktops booted, their homes checked", start);
  });

  it("destroy leaves nothing but the home volumes (retained by design, available): the APIs show none of the stack's other resources; the test deletes the volumes", async () => {
    expect(ids.length, "the up step recorded the stack's resources").to.be.greaterThan(0);
    // What the stack holds now too (the sessionReports step rebuilt the desktops: new servers).
    for (const r of await stack!.cloudResources()) if (!ids.some((o) => o.id === r.id)) ids.push(r);
    const start = Date.now();
    const destroyed = await stack!.destroy();
    phase("pulumi destroy", start);
    expect(changes(destroyed.summary)).to.have.keys("delete");
    expect(
      await leftovers(
        client!,
        ids.filter((r) => r.type !== VOLUME_TYPE),
      ),
    ).to.deep.equal([]);
    expect(
      ids.filter((r) => r.type.endsWith("desktop-image:BakedImage")),
      "the baked image is among the checked resources",
    ).to.have.length(1);
    const servers = (await client!.nova.listServers()).filter(
      (s) => /^office-(alice|bob)$/.test(s.name) || s.name === `${bake?.imageName}-builder`,
    );
    expect(servers.map((s) => `${s.name} ${s.id}`)).to.deep.equal([]);
    // The home volumes stay in Cinder, detached (Nova let go of them), and the test deletes them.
    const volumes = ids.filter((r) => r.type === VOLUME_TYPE);
    expect(volumes, "the home volumes are among the stack's resources").to.have.length(EMPLOYEES.length);
    for (const { id, name } of volumes) {
      const volume = await waitFor(`the retained home volume ${name} to be detached`, 180, async () => {
        const v = await getVolume(client!, id);
        return v && v.status === "available" ? v : undefined;
      });
      expect(volume.attachments, `${name}'s attachments`).to.deep.equal([]);
      await deleteVolume(id);
      expect(await getVolume(client!, id), name).to.equal(undefined);
    }
    volumesLeft = [];
    console.log(`    whole suite: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});
