/**
 * The bake flow through the real OpenStack APIs of minicloud (Keystone, Nova, Glance, Neutron):
 * the dynamic provider's create and delete functions, called directly (no Pulumi engine here).
 *
 * What minicloud cannot do, said plainly: its Nova runs the fake compute driver, so no guest boots,
 * cloud-init never runs and the console log never shows the bake marker; the test therefore runs
 * the success path with `skipConsoleWait` (the image holds no desktop stack), and proves the
 * console wait separately: it times out and still deletes the builder. The fake driver also
 * uploads no snapshot data, so the test fills the snapshot with 1 MiB itself (as a hypervisor
 * would). The real bake (cloud-init in a guest) is two-stage-bake.test.ts, in guests.
 */
import { expect } from "chai";
import { Readable } from "node:stream";
import type { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import {
  closeAll,
  connectMinicloud,
  fillSnapshot,
  Minicloud,
  projectNetwork,
  uniq,
} from "../../../s2d/test/integration/minicloud-env";
import { planDesktopBake } from "../../src/desktop-image/bake-plan";
import { BakeInputs, createBakedImage, deleteBakedImageResource } from "../../src/desktop-image/xrdp-desktop-image";

describe("XrdpDesktopImage bake flow against minicloud (fake compute driver)", function () {
  this.timeout(600_000);
  let cloud: Minicloud | undefined;
  let a: OpenStackClient;
  const cleanup: (() => Promise<void>)[] = [];
  let inputs: BakeInputs;

  before(async function () {
    cloud = await connectMinicloud(this, "XrdpDesktopImage bake");
    if (!cloud) return;
    a = cloud.a;
    const tag = uniq("ib-bake");
    const net = await projectNetwork(a, `${tag}-net`, "10.204.1.0/24", false);
    cleanup.push(net.cleanup);
    const base = await a.glance.createImage({
      name: `${tag}-base`,
      disk_format: "raw",
      container_format: "bare",
      os_distro: "debian",
    });
    cleanup.push(() => a.glance.deleteImage(base.id));
    await a.glance.upload(base.id, Readable.from([Buffer.alloc(1 << 20, 7)]), 1 << 20);
    await a.glance.waitForImage(base.id, ["active"], { timeoutMs: 60_000 });
    const flavor = (await a.nova.listFlavors())
      .sort((x, y) => x.ram - y.ram || x.disk - y.disk)
      .find((f) => f.disk >= 1)!;
    const extraPackages = ["libreoffice"];
    inputs = {
      cloud: "minicloud-a",
      baseImageId: base.id,
      flavorId: flavor.id,
      networkId: net.network.id,
      osDistro: "debian",
      osVersion: "12",
      namePrefix: tag,
      extraPackages,
      installRecommends: true,
      rdpGroup: "tsusers",
      consoleTimeoutSeconds: 3600,
      retainOnDelete: false,
      packageHash: planDesktopBake({
        baseImage: base.id,
        osDistro: "debian",
        namePrefix: tag,
        stack: { extraPackages },
      }).packageHash,
    };
  });

  after(async () => {
    for (const undo of cleanup.reverse()) await undo().catch(() => undefined);
    closeAll(cloud);
  });

  async function buildersOf(hash: string): Promise<string[]> {
    const servers = await a.nova.listServers({});
    return servers
      .filter((s) => (s.metadata as Record<string, string> | undefined)?.["blueprints-package-hash"] === hash)
      .map((s) => s.id);
  }

  it("create: boots the builder, snapshots it with the plan's properties, deletes the builder; delete removes the image", async () => {
    const log: string[] = [];
    const { id, outs } = await createBakedImage(inputs, {
      skipConsoleWait: true, // the fake driver runs no guest: no marker can appear (see the file comment)
      onSnapshotRequested: (imageId) => fillSnapshot(a, imageId, 1 << 20),
      log: (m) => log.push(m),
    });
    cleanup.push(() => a.glance.deleteImage(id));
    expect(outs.consoleWait).to.equal("skipped");
    const image = await a.glance.getImage(id);
    expect(image.status).to.equal("active");
    expect(image.name).to.equal(`${inputs.namePrefix}-${inputs.packageHash.slice(0, 12)}`);
    expect(image).to.deep.include({
      os_distro: "debian",
      os_version: "12",
      desktop: "xrdp",
      blueprints_package_hash: inputs.packageHash,
      blueprints_base_image: inputs.baseImageId,
    });
    expect(await a.nova.findServer(outs.builderId)).to.equal(undefined);
    expect(log.some((m) => /deleted/.test(m))).to.equal(true);
    await deleteBakedImageResource(id, { cloud: "minicloud-a", retainOnDelete: false });
    expect(await a.glance.findImage(id)).to.equal(undefined);
  });

  it("no console marker within the timeout: fails naming the builder, and still deletes it (no image left)", async () => {
    // This bake's images only: other tests sharing minicloud make and delete images meanwhile.
    const bakeImages = async () =>
      (await a.glance.listImages({}))
        .filter((i) => (i.name ?? "").startsWith(`${inputs.namePrefix}-`))
        .map((i) => i.id);
    const before = await bakeImages();
    let error: Error | undefined;
    try {
      await createBakedImage({ ...inputs, consoleTimeoutSeconds: 3 }, { consolePollSeconds: 1 });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/printed no bake marker within 3 s/);
    expect(await buildersOf(inputs.packageHash)).to.deep.equal([]);
    const after = await bakeImages();
    expect(after.filter((i) => !before.includes(i))).to.deep.equal([]);
  });

  it("delete with retainOnDelete keeps the image", async () => {
    const { id } = await createBakedImage(inputs, {
      skipConsoleWait: true,
      onSnapshotRequested: (imageId) => fillSnapshot(a, imageId, 1 << 20),
    });
    cleanup.push(() => a.glance.deleteImage(id));
    await deleteBakedImageResource(id, { cloud: "minicloud-a", retainOnDelete: true });
    expect((await a.glance.getImage(id)).status).to.equal("active");
  });
});
