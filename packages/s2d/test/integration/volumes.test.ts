/**
 * S2D moving a server with an attached Cinder volume and a second NIC, against minicloud (real
 * Keystone, Glance, Cinder with the NFS driver over a bind mount, Nova with the fake compute
 * driver, Neutron): minicloud-a → minicloud-b. The volume is made from an image of known bytes;
 * its copy in B is compared byte for byte through the volume files on minicloud's share (the
 * files Cinder's NFS driver keeps, readable here as root). The first run is broken right after
 * B's volume exists (as a crash would) and resumed: the resume must not make a second volume.
 */
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";
import { EngineEvent, Journal, MIGRATED_VOLUME_META, MigrationEngine, MigrationError, validateSpec } from "../../src";
import { Minicloud, closeAll, connectMinicloud, fillSnapshot, projectNetwork, uniq } from "./minicloud-env";
import { buildSource } from "./source-fixture";

const MiB = 1 << 20;
/** Where Cinder's NFS driver keeps the volume files (minicloud's share; see packages/minicloud/README.md). */
const SHARE = process.env.MINICLOUD_CINDER_SHARE ?? "/var/lib/minicloud/cinder/volumes";

async function sha256File(file: string): Promise<string> {
  const h = createHash("sha256");
  await pipeline(fs.createReadStream(file), h);
  return h.digest("hex");
}

describe("s2d moves attached volumes and extra NICs (minicloud, Cinder)", function () {
  this.timeout(900_000);
  let m: Minicloud | undefined;
  let tmp = "";
  const undo: (() => Promise<unknown>)[] = [];

  before(async function () {
    m = await connectMinicloud(this, "s2d volumes");
    if (!m) return;
    for (const [name, c] of [
      ["minicloud-a", m.a],
      ["minicloud-b", m.b],
    ] as const) {
      const ok = await c.cinder.listVolumeTypes().then(
        () => undefined,
        (e: Error) => e.message,
      );
      if (ok) return unavailableHere(this, `${name} has no answering Cinder (block-storage): ${ok}`);
    }
    if (!fs.existsSync(SHARE))
      return unavailableHere(
        this,
        `minicloud's Cinder share ${SHARE} is not on this machine (volume bytes unreadable)`,
      );
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "s2d-vol-"));
  });
  after(async () => {
    for (const u of undo.reverse()) await u().catch(() => undefined);
    closeAll(m);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("copies the volume's bytes, attaches it to the new server, keeps the mapped NIC and its fixed IP, resumes without a second volume", async () => {
    const { a, b } = m!;
    const t0 = Date.now();
    const src = await buildSource(a, 1, false);
    undo.push(src.cleanup);
    const serverId = src.serverIds[0];
    const first = (await a.neutron.listPorts({ device_id: serverId }))[0];
    const mainNetA = (await a.neutron.getNetwork(first.network_id))!;

    // A second NIC in A, on its own network, with a fixed address.
    const dataA = await projectNetwork(a, "s2d-src-data", "10.77.3.0/24", false);
    undo.push(dataA.cleanup);
    const portA = await a.neutron.createPort({
      network_id: dataA.network.id,
      fixed_ips: [{ ip_address: "10.77.3.23" }],
    });
    undo.push(() => a.neutron.deletePort(portA.id));
    await a.session.json("compute", {
      method: "POST",
      path: `/servers/${serverId}/os-interface`,
      body: { interfaceAttachment: { port_id: portA.id } },
    });

    // The volume: made from an image of known bytes, attached to the source.
    const content = randomBytes(3 * MiB);
    const seed = await a.glance.createImage({
      name: uniq("s2d-vol-seed"),
      disk_format: "raw",
      container_format: "bare",
    });
    undo.push(() => a.glance.deleteImage(seed.id));
    await a.glance.upload(seed.id, Readable.from([content]), content.length);
    const volA = await a.cinder.createVolume({
      size: 1,
      name: uniq("s2d-data"),
      description: "s2d test data volume",
      imageRef: seed.id,
    });
    undo.push(async () => {
      await a.cinder.waitForVolume(volA.id, ["available", "error"], { timeoutMs: 300_000 }).catch(() => undefined);
      await a.cinder.deleteVolume(volA.id);
    });
    await a.cinder.waitForVolume(volA.id, ["available"], { timeoutMs: 300_000 });
    await a.nova.attachVolume(serverId, volA.id);
    await a.cinder.waitForVolume(volA.id, ["in-use"], { timeoutMs: 300_000 });
    // Deleting the source server (fixture cleanup) first detaches the volume.
    undo.push(async () => {
      await a.nova.deleteServer(serverId);
      await a.nova.waitForServerDeleted(serverId, { timeoutMs: 120_000 });
    });
    const hashA = await sha256File(path.join(SHARE, `volume-${volA.id}`));
    expect(
      fs
        .readFileSync(path.join(SHARE, `volume-${volA.id}`))
        .subarray(0, content.length)
        .equals(content),
    ).to.equal(true);

    // B: the same two networks (own projects may overlap), so both fixed IPs can be kept.
    const mainB = await projectNetwork(b, "s2d-dst-main", "10.77.1.0/24", false);
    undo.push(mainB.cleanup);
    const dataB = await projectNetwork(b, "s2d-dst-data", "10.77.3.0/24", false);
    undo.push(dataB.cleanup);
    const spec = validateSpec({
      source: { cloud: "minicloud-a" },
      target: { cloud: "minicloud-b" },
      servers: [
        {
          source: serverId,
          securityGroup: uniq("s2d-vol-web"),
          keypair: { mode: "copy" },
          networkMap: [
            { source: mainNetA.name, target: mainB.network.name },
            { source: dataA.network.id, target: dataB.network.name },
          ],
        },
      ],
    }).servers[0];
    const journalFile = path.join(tmp, "volumes.journal");
    const events: EngineEvent[] = [];
    const onEvent = (e: EngineEvent) => {
      events.push(e);
      if (e.type === "snapshot-created") void fillSnapshot(a, e.imageId, 4 * MiB).catch(() => undefined);
    };

    // The destination check reads B's Cinder quota and plans both NICs with their addresses.
    const planner = new MigrationEngine(a, b, { journal: new Journal(null) });
    const report = await planner.plan([spec]);
    expect(report.problems).to.deep.equal([]);
    expect(report.warnings.map((w) => w.message).join("\n")).to.not.match(/quotas of B not checked/);
    const srcIps = Object.fromEntries(
      (await a.neutron.listPorts({ device_id: serverId })).map((p) => [p.network_id, p.fixed_ips[0].ip_address]),
    );
    expect(report.servers[0].nics).to.have.deep.members([
      { uuid: mainB.network.id, fixed_ip: srcIps[mainNetA.id] },
      { uuid: dataB.network.id, fixed_ip: "10.77.3.23" },
    ]);

    // Run 1: broken once B's volume exists (a crash there), B's things kept, as after a kill.
    let journal = new Journal(journalFile);
    const crashing = new MigrationEngine(a, b, {
      journal,
      keep: true,
      onEvent: (e) => {
        onEvent(e);
        if (e.type === "step" && e.step === `volume:${volA.id}` && e.status === "done")
          throw new Error("injected crash");
      },
    });
    undo.push(() => new MigrationEngine(a, b, { journal: new Journal(journalFile) }).cleanup(serverId));
    // A failed run keeps A's volume images for a resume (as it keeps the snapshot): the test removes them.
    undo.push(async () => {
      for (const r of Journal.read(journalFile))
        if (r.kind === "created" && r.resource?.type === "source_volume_image")
          await a.glance.deleteImage(r.resource.id).catch(() => undefined);
    });
    const err = await crashing.migrate(spec).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).to.be.instanceOf(MigrationError);
    expect(err!.message).to.match(/injected crash/);
    journal.close();
    // The source is running again with its volume back, even though the migration failed.
    expect((await a.cinder.getVolume(volA.id)).attachments?.map((x) => x.server_id)).to.deep.equal([serverId]);
    expect((await a.nova.getServer(serverId)).status).to.equal("ACTIVE");

    // Run 2: resumes from the journal.
    journal = new Journal(journalFile);
    const result = await new MigrationEngine(a, b, { journal, onEvent }).migrate(spec);
    journal.close();
    const skipped = events
      .filter((e) => e.type === "step" && e.status === "skipped")
      .map((e) => (e as { step: string }).step);
    expect(skipped).to.include.members([
      "snapshot",
      "source-volumes",
      `volume-image-data:${volA.id}`,
      `volume:${volA.id}`,
    ]);
    const tag = `${serverId}:${volA.id}`;
    const inB = (await b.cinder.listVolumes({ metadata: { [MIGRATED_VOLUME_META]: tag } })).filter(
      (v) => v.metadata?.[MIGRATED_VOLUME_META] === tag,
    );
    expect(inB, "one volume in B after the resume").to.have.length(1);

    // B's volume: same size, name, description, attached to the new server, the same bytes.
    expect(result.volumes).to.have.length(1);
    const moved = result.volumes![0];
    const volB = await b.cinder.getVolume(moved.targetVolumeId);
    expect(volB.id).to.equal(inB[0].id);
    expect(volB).to.deep.include({ size: 1, name: volA.name, description: "s2d test data volume", status: "in-use" });
    expect(volB.attachments?.map((x) => x.server_id)).to.deep.equal([result.targetServerId]);
    expect((await b.nova.listVolumeAttachments(result.targetServerId)).map((x) => x.volumeId)).to.deep.equal([volB.id]);
    expect(await sha256File(path.join(SHARE, `volume-${volB.id}`)), "B's volume holds A's bytes").to.equal(hashA);

    // Both NICs, on the mapped networks, with the source's addresses.
    const portsB = await b.neutron.listPorts({ device_id: result.targetServerId });
    expect(portsB.map((p) => [p.network_id, p.fixed_ips[0].ip_address])).to.have.deep.members([
      [mainB.network.id, srcIps[mainNetA.id]],
      [dataB.network.id, "10.77.3.23"],
    ]);

    // The intermediate images are gone from both clouds; A's volume is attached to the source again.
    const images = journal.records.filter(
      (r) => r.resource?.type === "source_volume_image" || r.resource?.type === "volume_image",
    );
    expect(images.filter((r) => r.kind === "created")).to.have.length(2);
    for (const r of images.filter((x) => x.kind === "created"))
      expect(await (r.resource!.cloud === "A" ? a : b).glance.findImage(r.resource!.id), r.resource!.id).to.equal(
        undefined,
      );
    expect((await a.cinder.getVolume(volA.id)).attachments?.map((x) => x.server_id)).to.deep.equal([serverId]);
    console.log(`      volume move with one resume: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  });
});
