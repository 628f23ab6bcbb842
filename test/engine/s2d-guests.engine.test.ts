/**
 * A server that really runs, moved by S2DMigration through the real engine (examples/s2d-migration,
 * the component's dynamic provider in the engine's provider process) from minicloud-a to
 * minicloud-b on minicloud's guests profile, where Nova boots real QEMU guests and Neutron
 * really routes and filters:
 * - in A, a Debian guest in zone `guests` writes a random marker at its first boot and serves it
 *   on port 8080 (a systemd unit cloud-init installs), reached through its floating IP; its
 *   security group admits ssh and 8080 from this host's address on `public` only;
 * - the component snapshots it (Nova's libvirt driver uploads the real disk), streams the image
 *   into B (checksums verified), copies the group's rules, boots the copy in B's zone `guests`
 *   with the kernel and initrd the snapshot names (direct kernel boot), gives it a floating IP;
 * - in B the marker comes back on the new floating IP: A's disk, since B's server has no user
 *   data that could write one, and it booted as a new instance (its own instance id).
 *
 * Each phase's time is printed (from the migration's journal: snapshot, stream bytes and MB/s,
 * boot in B). Everything made in A and B is removed in after(), also when a step fails. Needs
 * the engine and the guests profile: skips with the reason elsewhere, fails under CI.
 */
import { expect } from "chai";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { OpenStackClient } from "@openstack-blueprints/openstack-rest";
import { JournalRecord } from "@openstack-blueprints/s2d";
import { assertValidCloudConfig } from "@openstack-blueprints/test-harness";
import { GuestLab, HOST_ON_PUBLIC, requireGuests } from "../../packages/minicloud/test/guest-scenario";
import { closeAll, connectMinicloud, Minicloud } from "../../packages/s2d/test/integration/minicloud-env";
import { changes, EngineStack, REPO_ROOT, requireEngine } from "./pulumi-engine";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SERVICE_PORT = 8080;

/** The service: a random marker made at first boot, served by python3 from a unit that starts at every boot. */
const USER_DATA = `#cloud-config
write_files:
  - path: /etc/systemd/system/marker-web.service
    permissions: "0644"
    content: |
      [Unit]
      Description=Serves /srv/marker over HTTP on port ${SERVICE_PORT}
      After=network-online.target
      [Service]
      ExecStart=/usr/bin/python3 -m http.server ${SERVICE_PORT} --directory /srv/marker
      Restart=always
      [Install]
      WantedBy=multi-user.target
runcmd:
  - [sh, -c, "mkdir -p /srv/marker && od -An -N16 -tx1 /dev/urandom | tr -d ' \\\\n' > /srv/marker/marker && sync"]
  - [systemctl, daemon-reload]
  - [systemctl, enable, --now, marker-web.service]
`;

/** GET http://address:port/marker once; undefined when nothing answers. */
async function marker(address: string): Promise<string | undefined> {
  try {
    const r = await fetch(`http://${address}:${SERVICE_PORT}/marker`, { signal: AbortSignal.timeout(5000) });
    return r.ok ? (await r.text()).trim() : undefined;
  } catch {
    return undefined;
  }
}

async function waitMarker(address: string, timeoutS: number): Promise<string | undefined> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const m = await marker(address);
    if (m || Date.now() > deadline) return m;
    await sleep(3000);
  }
}

describe("real engine + real guests: S2DMigration moves a running server from minicloud-a to minicloud-b", function () {
  this.timeout(40 * 60_000);
  let clouds: Minicloud | undefined;
  let labA: GuestLab | undefined;
  let labB: GuestLab | undefined;
  let stack: EngineStack | undefined;
  const journalDir = fs.mkdtempSync(path.join(os.tmpdir(), "s2d-guests-journal-"));
  let sourceId = "";
  let sourceFip = "";
  let sourceMarker = "";
  let targetName = "";
  let targetServerId = "";
  let targetFip = "";
  /** The migration test passed: the copy is where it should be (else the next test would only wait). */
  let migrated = false;
  const phase = (name: string, since: number) =>
    console.log(`    ${name}: ${((Date.now() - since) / 1000).toFixed(1)} s`);

  before(async function () {
    const bin = requireEngine(this);
    await requireGuests(this);
    assertValidCloudConfig(USER_DATA, "the marker service's user data");
    clouds = await connectMinicloud(this, "s2d with real guests");
    labA = await GuestLab.create({ project: "minicloud-a", cidr: "10.231.7.0/24" });
    labB = await GuestLab.create({ project: "minicloud-b", cidr: "10.231.8.0/24" });
    targetName = `${labB.prefix}-migrated`;
    stack = new EngineStack(bin, {
      programDir: path.join(REPO_ROOT, "examples/s2d-migration"),
      runName: "s2d-guests-migration",
      timeoutMs: 30 * 60_000,
    });
  });

  after(async function () {
    const start = Date.now();
    const problems: string[] = [];
    if (stack) {
      const state = await stack.exportState().catch(() => undefined);
      if (state?.deployment.resources?.some((r) => r.id)) {
        const d = await stack.run(["destroy", "--yes", "--skip-preview"]);
        if (d.code !== 0) problems.push(`pulumi destroy exited ${d.code}: ${d.stdout.slice(-800)}`);
      }
      await stack.remove();
    }
    // What a failed run may have left in B (the component removes its own on failure) and A.
    if (clouds) problems.push(...(await sweep(clouds.b, clouds.a)));
    for (const lab of [labB, labA]) if (lab) problems.push(...(await lab.cleanup()));
    closeAll(clouds);
    fs.rmSync(journalDir, { recursive: true, force: true });
    phase("cleanup (stack, both labs)", start);
    if (problems.length) throw new Error(`cleanup left things behind:\n${problems.join("\n")}`);
  });

  /** Servers named for this run in B and snapshots of the source in A; returns what could not be removed. */
  async function sweep(b: OpenStackClient, a: OpenStackClient): Promise<string[]> {
    const left: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) =>
      fn().catch((e: Error) => left.push(`${what}: ${e.message.slice(0, 300)}`));
    if (targetName)
      for (const s of await b.nova.listServers({ name: `^${targetName}$` }).catch(() => []))
        await attempt(`server ${s.id} in B`, async () => {
          await b.nova.deleteServer(s.id);
          await b.nova.waitForServerDeleted(s.id, { timeoutMs: 180_000 });
        });
    if (labB)
      for (const g of await b.neutron.listSecurityGroups({ name: `${labB.prefix}-web` }).catch(() => []))
        await attempt(`security group ${g.id} in B`, () => b.neutron.deleteSecurityGroup(g.id));
    if (sourceId) {
      for (const i of await b.glance.listImages({ owner: b.session.projectId }).catch(() => []))
        if (
          String((i as Record<string, unknown>).s2d_source_image ?? "") &&
          String(i.name ?? "").startsWith(labA!.prefix)
        )
          await attempt(`image ${i.id} in B`, () => b.glance.deleteImage(i.id));
      for (const i of await a.glance.listImages({ owner: a.session.projectId }).catch(() => []))
        if (String(i.instance_uuid ?? "") === sourceId)
          await attempt(`snapshot ${i.id} in A`, () => a.glance.deleteImage(i.id));
    }
    return left;
  }

  it("A: a guest in zone `guests` serves the marker it wrote at first boot on its floating IP", async () => {
    let start = Date.now();
    await Promise.all([labA!.network(), labB!.network()]);
    await labA!.allowTcp(SERVICE_PORT);
    const [agentsA, agentsB] = await Promise.all([labA!.waitAgents(), labB!.waitAgents()]);
    expect(agentsA.dhcp, "A's network is served in zone guests").to.deep.equal(["minicloud-guests"]);
    expect(agentsB.l3, "B's router is served in zone guests").to.deep.equal(["minicloud-guests"]);
    phase("networks, routers, groups, key pairs in A and B", start);
    start = Date.now();
    sourceId = await labA!.boot("web", { userData: USER_DATA });
    await labA!.waitActive(sourceId);
    phase("A: create -> ACTIVE", start);
    sourceFip = await labA!.floatingIp(sourceId);
    await labA!.waitSsh(sourceId, sourceFip);
    const status = await labA!.waitCloudInit(sourceFip);
    expect(status).to.match(/^status: done$/m);
    phase(`A: create -> ssh -> cloud-init done (${sourceFip})`, start);
    sourceMarker = (await waitMarker(sourceFip, 60)) ?? "";
    expect(sourceMarker, "the marker answered on A's floating IP").to.match(/^[0-9a-f]{32}$/);
    // The marker is on the disk (not in the page cache only) before the snapshot is taken.
    await labA!.ssh(sourceFip, "sync");
  });

  it("migrates it with S2DMigration through the real engine into B's zone `guests`, checksums verified", async () => {
    expect(sourceMarker, "the source guest serves its marker").to.not.equal("");
    await stack!.init();
    stack!.editProgram("index.ts", (t) =>
      t
        .replace('{ cloud: "cloud-a" }', '{ cloud: "minicloud-a" }')
        .replace('{ cloud: "cloud-b" }', '{ cloud: "minicloud-b" }')
        .replace('sourceServer: "analytics-01"', `sourceServer: "${sourceId}"`)
        .replace('targetName: "analytics-01-near-data"', `targetName: "${targetName}"`)
        .replace('network: "data-net"', `network: "${labB!.prefix}"`)
        // A live snapshot after `sync`: the source keeps serving while its disk is copied.
        .replace(
          "stopSource: true,",
          `stopSource: false,\n  availabilityZone: "guests",\n  securityGroup: "${labB!.prefix}-web",\n  journalDir: ${JSON.stringify(journalDir)},`,
        ),
    );
    const start = Date.now();
    const up = await stack!.up();
    phase("pulumi up (snapshot, stream, boot in B)", start);
    expect(changes(up.summary)).to.deep.equal({ create: 3 });
    printPhases(journalDir);

    const outputs = await stack!.outputs();
    targetServerId = String(outputs.targetServerId);
    targetFip = String(outputs.floatingIp);
    expect(targetFip)
      .to.match(/^172\.24\.4\./)
      .and.not.equal(sourceFip);
    const server = await labB!.server(targetServerId);
    expect(server.status).to.equal("ACTIVE");
    expect(server.tenant_id, "the new server is B's").to.equal(clouds!.b.session.projectId);
    expect(server["OS-EXT-AZ:availability_zone"]).to.equal("guests");
    expect(server["OS-EXT-SRV-ATTR:host"], "a real guest on the libvirt host").to.equal("minicloud-guests");

    // B's image: the checksums the component verified are B's own, and the stream's.
    const image = await clouds!.b.glance.getImage(server.image.id);
    expect(outputs.checksums).to.deep.include({
      md5: image.checksum,
      hashAlgo: image.os_hash_algo,
      hashValue: image.os_hash_value,
      hashCheck: "same-algorithm",
    });
    const streamed = journalStep(journalDir, "image-data");
    expect(streamed.md5, "the MD5 of the bytes streamed from A").to.equal(image.checksum);
    expect(streamed.bytes).to.equal(image.size);
    // Direct kernel boot: the kernel and initrd of the guest image (one Glance: the same ids).
    const base = (await clouds!.a.glance.getImage((await labA!.server(sourceId)).image.id)) as Record<string, unknown>;
    const props = image as Record<string, unknown>;
    expect(base.kernel_id, "the guest image boots directly with a kernel").to.be.a("string");
    expect(props.kernel_id, "kernel in B").to.equal(base.kernel_id);
    expect(props.ramdisk_id, "initrd in B").to.equal(base.ramdisk_id);
    // A's snapshot is gone once B's copy was verified.
    const snapshots = await clouds!.a.glance.listImages({ owner: clouds!.a.session.projectId });
    expect(snapshots.filter((i) => String(i.instance_uuid ?? "") === sourceId)).to.deep.equal([]);

    // The group in B admits only what A's did, from this host only: nothing widened.
    const groups = await clouds!.b.neutron.listSecurityGroups({ name: `${labB!.prefix}-web` });
    expect(groups).to.have.length(1);
    const ingress = (await clouds!.b.neutron.listSecurityGroupRules({ security_group_id: groups[0].id })).filter(
      (r) => r.direction === "ingress",
    );
    expect(ingress.map((r) => `${r.protocol}/${r.port_range_min}`).sort()).to.deep.equal([
      "tcp/22",
      `tcp/${SERVICE_PORT}`,
    ]);
    for (const r of ingress) expect(r.remote_ip_prefix, `rule ${r.id}`).to.equal(HOST_ON_PUBLIC);
    migrated = true;
  });

  it("B: the migrated server boots and answers A's marker on its new floating IP, as a new instance", async () => {
    expect(migrated, "the migration test passed").to.equal(true);
    const start = Date.now();
    const got = await waitMarker(targetFip, 600);
    phase(`B: ACTIVE -> service answers on ${targetFip}`, start);
    if (got === undefined) console.log(await labB!.consoleTail(targetServerId));
    expect(got, "the marker written at A's first boot, from the copied disk").to.equal(sourceMarker);
    // The copy booted as a new instance (its own id from B's metadata) and has no user data that could have written it.
    await labA!.waitSsh(targetServerId, targetFip, 300).catch(() => undefined);
    const id = await labA!
      .ssh(targetFip, "cloud-init query v1.instance_id; cat /srv/marker/marker")
      .catch((e: Error) => `ssh failed: ${e.message}`);
    expect(id.trim().split("\n")).to.deep.equal([targetServerId, sourceMarker]);
    // The source still serves: migrated, not moved away from under its users.
    expect(await marker(sourceFip)).to.equal(sourceMarker);
  });

  it("destroy removes the server, image and floating IP from B", async () => {
    expect(targetServerId).to.match(/^[0-9a-f-]{36}$/);
    const imageId = (await labB!.server(targetServerId)).image.id as string;
    expect(changes((await stack!.destroy()).summary)).to.have.keys("delete");
    expect(await clouds!.b.nova.findServer(targetServerId)).to.equal(undefined);
    expect(await clouds!.b.glance.findImage(imageId)).to.equal(undefined);
    expect(await clouds!.b.neutron.listFloatingIps({ floating_ip_address: targetFip })).to.deep.equal([]);
  });
});

/** The migration's journal (one per resource, in journalDir). */
function journalRecords(dir: string): JournalRecord[] {
  const files = fs.readdirSync(dir).filter((f) => f.endsWith(".journal"));
  expect(files, "one journal").to.have.length(1);
  return fs
    .readFileSync(path.join(dir, files[0]!), "utf8")
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as JournalRecord);
}

function journalStep(dir: string, step: string): Record<string, any> {
  const rec = journalRecords(dir).find((r) => r.kind === "step" && r.step === step);
  if (!rec) throw new Error(`no ${step} step in the journal`);
  return rec.data ?? {};
}

/** Each step's time (from the record before it to its own), and the stream's bytes and rate. */
function printPhases(dir: string): void {
  const records = journalRecords(dir);
  let prev: number | undefined;
  for (const r of records) {
    const at = Date.parse(r.at);
    if (r.kind === "step" && prev !== undefined) {
      let extra = "";
      if (r.step === "image-data" && r.data) {
        const bytes = Number(r.data.bytes);
        const s = Number(r.data.elapsedMs) / 1000;
        extra = ` (${(bytes / 1e6).toFixed(1)} MB downloaded from A and uploaded to B, ${(bytes / 1e6 / s).toFixed(1)} MB/s)`;
      }
      console.log(`    step ${r.step}: ${((at - prev) / 1000).toFixed(1)} s${extra}`);
    }
    prev = at;
  }
}
