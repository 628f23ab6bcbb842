/**
 * A Cinder volume outlives the server it was attached to, on minicloud's guests profile: what a
 * desktop pool's home volumes rely on when a desktop is rebuilt. As project minicloud-a through
 * the Cinder and Nova REST APIs: create a 1 GiB volume, attach it to a real guest (libvirt, QEMU
 * TCG, zone `guests`), make a file system on it inside the guest and write a random marker,
 * detach, delete the server, and read the marker from the volume's file on Cinder's share (debugfs,
 * no mount). Also checks from the host that the guest's disk is that file. A second server reading
 * a kept volume back is proved through the pool in test/engine/desktops-guests.engine.test.ts.
 *
 * Cinder's backend is the NFS driver on a share that is a directory of this host, mounted with a
 * bind mount (this kernel has no NFS client; see packages/minicloud/src/storage.ts): the volume
 * files, Nova's attach/detach and the guest's disk I/O are real, the network hop of NFS is not.
 *
 * One guest (m1.tiny); each phase's time is printed; everything is deleted
 * in after(), also after a failure. Needs the guests profile: skips with the reason elsewhere,
 * fails under CI (BLUEPRINTS_CI=1 or CI=true). Run under the exclusive lock:
 * `flock /tmp/minicloud.lock npx mocha ... packages/minicloud/test/volumes.test.ts`.
 */
import { expect } from "chai";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { defaultLayout, endpoint } from "../src/layout";
import { request } from "../src/rest";
import { storagePaths } from "../src/storage";
import { session } from "./cloud-access";
import { GuestLab, requireGuests } from "./guest-scenario";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

/** Why minicloud has no usable Cinder, or undefined. */
async function cinderUnavailable(): Promise<string | undefined> {
  const s = await session("minicloud-a");
  if (!s.catalog.some((e) => e.type === "volumev3"))
    return "minicloud's catalog has no volumev3 (Cinder): run `sudo npx minicloud up --guests` with this version";
  try {
    await request(s, "GET", `${endpoint("cinder")}/${s.projectId}/volumes`);
  } catch (e) {
    return `Cinder does not answer: ${(e as Error).message}`;
  }
  return undefined;
}

describe("minicloud Cinder: a volume keeps what a real guest wrote after the guest is deleted", function () {
  this.timeout(25 * 60_000);
  let lab: GuestLab | undefined;
  let volumeId = "";
  const marker = `home-volume-marker-${crypto.randomBytes(8).toString("hex")}`;
  const phase = (name: string, since: number) =>
    console.log(`    ${name}: ${((Date.now() - since) / 1000).toFixed(1)} s`);

  before(async function () {
    await requireGuests(this);
    const why = await cinderUnavailable();
    if (why) unavailableHere(this, why);
    lab = await GuestLab.create();
  });

  after(async function () {
    if (!lab) return;
    const start = Date.now();
    const problems = await lab.cleanup();
    phase("cleanup (servers, volume, floating IPs, router, network, group, key)", start);
    if (problems.length) throw new Error(`cleanup left things behind:\n${problems.join("\n")}`);
  });

  /** Boots a guest, attaches the volume, returns its floating IP once ssh answers. */
  async function guestWithVolume(name: string): Promise<{ serverId: string; fip: string; device: string }> {
    let start = Date.now();
    const serverId = await lab!.boot(name, { flavor: "m1.tiny" });
    const sv = await lab!.waitActive(serverId);
    phase(`${name}: create -> ACTIVE`, start);
    expect(sv["OS-EXT-SRV-ATTR:host"]).to.equal("minicloud-guests");
    start = Date.now();
    const att = await lab!.attachVolume(serverId, volumeId);
    phase(`${name}: attach -> in-use`, start);
    const vol = await lab!.volume(volumeId);
    expect(vol.attachments.map((a: any) => a.server_id)).to.deep.equal([serverId]);
    start = Date.now();
    const fip = await lab!.floatingIp(serverId);
    await lab!.waitSsh(serverId, fip);
    phase(`${name}: floating IP -> ssh login`, start);
    // The guest names a virtio disk after its serial, which Nova sets to the volume's id.
    const byId = `/dev/disk/by-id/virtio-${volumeId.slice(0, 20)}`;
    const device = (
      await lab!.ssh(fip, `for i in $(seq 30); do [ -e ${byId} ] && break; sleep 1; done; readlink -f ${byId}`)
    ).trim();
    expect(device, `the volume appears in ${name} as ${byId} (attachment said ${att.device})`).to.match(
      /^\/dev\/vd[b-z]$/,
    );
    return { serverId, fip, device };
  }

  it("creates a 1 GiB volume as a sparse file on Cinder's share", async () => {
    await lab!.network();
    const start = Date.now();
    volumeId = await lab!.createVolume("home");
    const v = await lab!.waitVolume(volumeId, "available");
    phase("volume create -> available", start);
    expect(v.size).to.equal(1);
    const file = path.join(storagePaths(defaultLayout()).exportDir, `volume-${volumeId}`);
    expect(fs.statSync(file).size, `${file} is the volume`).to.equal(1024 ** 3);
  });

  let first: { serverId: string; fip: string; device: string } | undefined;

  it("attaches it to a real guest, which writes a file system and a marker onto it", async () => {
    first = await guestWithVolume("first");
    const { fip, device } = first;
    // QEMU has the volume's file on the guests host's mount of the share as this guest's disk.
    const sv = await lab!.server(first.serverId);
    const domain = sv["OS-EXT-SRV-ATTR:instance_name"] as string;
    const pid = fs.readFileSync(`/run/libvirt/qemu/${domain}.pid`, "utf8").trim();
    const openFiles = fs.readdirSync(`/proc/${pid}/fd`).map((fd) => {
      try {
        return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        return "";
      }
    });
    const novaMount = storagePaths(defaultLayout()).novaMountBase;
    expect(openFiles.filter((f) => f.startsWith(novaMount) && f.endsWith(`/volume-${volumeId}`))).to.have.length(1);
    await lab!.ssh(
      fip,
      [
        `sudo mkfs.ext4 -q -L home ${device}`,
        "sudo mkdir -p /mnt/home",
        `sudo mount ${device} /mnt/home`,
        `echo ${marker} | sudo tee /mnt/home/marker >/dev/null`,
        "sudo umount /mnt/home",
        "sync",
      ].join(" && "),
      120_000,
    );
  });

  it("detaches it, deletes the server and the volume is available with the data still in its file", async () => {
    const start = Date.now();
    await lab!.detachVolume(first!.serverId, volumeId);
    phase("detach -> available", start);
    await lab!.removeServer(first!.serverId);
    phase("detach + server deleted", start);
    const v = await lab!.volume(volumeId);
    expect(v.status).to.equal("available");
    expect(v.attachments).to.deep.equal([]);
  });

  it("the marker the guest wrote is in the volume's own file on Cinder's share, read from the host", () => {
    // One guest, not a second one booted to read it back (~1.5 min of TCG): a new desktop reading
    // its kept home volume is test/engine/desktops-guests.engine.test.ts, through the pool.
    const file = path.join(storagePaths(defaultLayout()).exportDir, `volume-${volumeId}`);
    const read = spawnSync("debugfs", ["-R", "cat /marker", file], { encoding: "utf8" });
    expect(read.status, read.stderr).to.equal(0);
    expect(read.stdout.trim()).to.equal(marker);
  });
});
