/**
 * S2D against minicloud (real Keystone, Glance, Nova with the fake compute driver, Neutron):
 * projects minicloud-a and minicloud-b stand in for two clouds. The fake driver uploads no
 * snapshot data, so each test writes bytes into the snapshot image itself (fillSnapshot).
 */
import { expect } from "chai";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { OpenStackClient, loadCloud } from "@openstack-blueprints/openstack-rest";
import {
  EngineEvent,
  Journal,
  MigrationEngine,
  MigrationError,
  PreflightError,
  createMigration,
  deleteMigration,
  readMigration,
  ruleKey,
  validateSpec,
} from "../../src";
import { Minicloud, closeAll, connectMinicloud, fillSnapshot, projectNetwork, uniq } from "./minicloud-env";
import { buildSource } from "./source-fixture";
import { startShortTokenKeystone } from "./short-token-keystone";
import { unavailableHere } from "@openstack-blueprints/test-harness/src/real-system";

const BIN = path.resolve(__dirname, "../../bin/s2d");
const MiB = 1 << 20;

describe("s2d against minicloud (integration)", function () {
  this.timeout(600_000);
  let m: Minicloud | undefined;
  let bNet: { network: { id: string; name: string }; cleanup: () => Promise<void> } | undefined;
  let tmp: string;

  before(async function () {
    m = await connectMinicloud(this, "s2d integration");
    if (!m) return;
    bNet = await projectNetwork(m.b, "s2d-dst-net", "10.77.2.0/24", true);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "s2d-it-"));
  });
  after(async () => {
    await bNet?.cleanup();
    closeAll(m);
    if (tmp) fs.rmSync(tmp, { recursive: true, force: true });
  });

  /** Uploads the snapshot's bytes when the engine reports it (fake driver). */
  const filler = (a: OpenStackClient, size: number, seen: EngineEvent[]) => (e: EngineEvent) => {
    seen.push(e);
    if (e.type === "snapshot-created")
      void fillSnapshot(a, e.imageId, size).catch((err) =>
        seen.push({ type: "warning", server: e.server, message: `fill failed: ${err.message}` }),
      );
  };

  it("migrates a server with keypair, security-group rules and a floating IP (dynamic provider create/read/delete)", async () => {
    const { a, b } = m!;
    const src = await buildSource(a, 1, true);
    const group = uniq("s2d-dst-web");
    const events: EngineEvent[] = [];
    try {
      const inputs = {
        source: { cloud: "minicloud-a" },
        target: { cloud: "minicloud-b" },
        server: {
          source: src.serverIds[0],
          securityGroup: group,
          floatingIp: "new",
          network: bNet!.network.name,
          keypair: { mode: "copy" },
        },
        journalDir: tmp,
      };
      const created = await createMigration(inputs, filler(a, 8 * MiB, events));
      const out = created.outs;
      // Verify in B with fresh reads.
      const server = await b.nova.getServer(created.id);
      expect(server.status).to.equal("ACTIVE");
      expect(server.key_name).to.equal(src.keyName);
      const kp = await b.nova.findKeypair(src.keyName);
      expect(kp?.public_key.split(" ").slice(0, 2)).to.deep.equal(src.publicKey.split(" ").slice(0, 2));
      const sg = (await b.neutron.listSecurityGroups({ name: group }))[0];
      expect(sg, "target security group").to.not.equal(undefined);
      const rules = await b.neutron.listSecurityGroupRules({ security_group_id: sg.id });
      const ingress = rules.filter((r) => r.direction === "ingress");
      expect(
        ingress.map((r) => [r.protocol, r.port_range_min, r.remote_ip_prefix, r.remote_group_id]),
      ).to.have.deep.members([
        ["tcp", 22, "10.0.0.0/8", null],
        ["tcp", 8080, null, sg.id], // remote group remapped to B's group
        ["icmp", null, "192.0.2.0/24", null],
      ]);
      expect(new Set(rules.map(ruleKey)).size).to.equal(rules.length);
      const port = (await b.neutron.listPorts({ device_id: created.id }))[0];
      expect(port.security_groups).to.deep.equal([sg.id]);
      const fip = (await b.neutron.listFloatingIps({ port_id: port.id }))[0];
      expect(fip?.floating_ip_address).to.equal(out.floatingIp);
      // A's snapshot was deleted after the verified copy; the bytes the test wrote into it are known.
      const dstImage = await b.glance.getImage(out.targetImageId);
      expect(
        await a.glance.findImage(String(dstImage.s2d_source_image)),
        "A's snapshot removed after success",
      ).to.equal(undefined);
      expect(dstImage.status).to.equal("active");
      expect(dstImage.size).to.equal(8 * MiB);
      expect(out.checksums).to.deep.equal({
        md5: dstImage.checksum,
        hashAlgo: "sha512",
        hashValue: dstImage.os_hash_value,
        hashCheck: "same-algorithm",
      });
      expect(dstImage.hw_firmware_type).to.equal("uefi"); // hw_* kept
      expect(dstImage).to.not.have.property("instance_uuid"); // cloud-A property dropped
      expect(events.some((e) => e.type === "progress")).to.equal(true);

      // the seed's billing view, through the CLI: the migrated server is in B's usage
      const start = new Date(Date.now() - 3600_000).toISOString().slice(0, 19);
      const end = new Date(Date.now() + 60_000).toISOString().slice(0, 19);
      const prices = path.join(tmp, "prices.yaml");
      fs.writeFileSync(prices, "currency: EUR\nvcpuHour: 0.5\nramGbHour: 0.1\ndiskGbHour: 0.01\n");
      const usage = spawnSync(
        process.execPath,
        [BIN, "usage", "--cloud", "minicloud-b", "--start", start, "--end", end, "--prices", prices, "--json"],
        { encoding: "utf8", env: process.env },
      );
      expect(usage.status, usage.stderr).to.equal(0);
      const report = JSON.parse(usage.stdout);
      const row = report.servers.find((x: { serverId: string }) => x.serverId === created.id);
      expect(row, "migrated server in usage").to.not.equal(undefined);
      expect(row.vcpuHours).to.be.greaterThan(0);
      expect(row.cost).to.be.greaterThan(0);

      const read = await readMigration(created.id, out);
      expect(read.props.targetServerStatus).to.equal("ACTIVE");

      await deleteMigration(created.id, out);
      expect(await b.nova.findServer(created.id)).to.equal(undefined);
      expect(await b.glance.findImage(out.targetImageId)).to.equal(undefined);
      expect(await b.nova.findKeypair(src.keyName)).to.equal(undefined);
      expect(await b.neutron.listSecurityGroups({ name: group })).to.deep.equal([]);
      expect(await b.neutron.listFloatingIps({ floating_ip_address: out.floatingIp })).to.deep.equal([]);
    } finally {
      await src.cleanup();
    }
  });

  it("migrates a batch of three concurrently, sharing one target group without duplicate rules", async () => {
    const { a, b } = m!;
    const src = await buildSource(a, 3, false);
    const group = uniq("s2d-batch");
    const journal = new Journal(path.join(tmp, "batch.journal"));
    const events: EngineEvent[] = [];
    const engine = new MigrationEngine(a, b, { journal, onEvent: filler(a, 16 * MiB, events) });
    try {
      const spec = validateSpec({
        source: { cloud: "minicloud-a" },
        target: { cloud: "minicloud-b" },
        concurrency: 3,
        servers: src.serverIds.map((id, i) => ({
          source: id,
          name: `${group}-${i}`,
          securityGroup: group,
          network: bNet!.network.id,
          keypair: { mode: "none" },
        })),
      });
      const started = Date.now();
      const { results, errors } = await engine.runAll(spec);
      const wall = (Date.now() - started) / 1000;
      expect(errors.map((e) => e.message)).to.deep.equal([]);
      expect(results).to.have.length(3);
      for (const r of results) expect((await b.nova.getServer(r.targetServerId)).status).to.equal("ACTIVE");
      const sg = (await b.neutron.listSecurityGroups({ name: group }))[0];
      const rules = await b.neutron.listSecurityGroupRules({ security_group_id: sg.id });
      expect(rules.filter((r) => r.direction === "ingress")).to.have.length(3);
      expect(new Set(rules.map(ruleKey)).size).to.equal(rules.length);
      console.log(
        `      batch of 3: wall ${wall.toFixed(1)} s, streams ${results.map((r) => r.streamSeconds.toFixed(1)).join(" / ")} s`,
      );
    } finally {
      for (const id of src.serverIds) await engine.cleanup(id);
      const sg = (await b.neutron.listSecurityGroups({ name: group }))[0];
      if (sg) await b.neutron.deleteSecurityGroup(sg.id).catch(() => undefined);
      journal.close();
      await src.cleanup();
    }
  });

  it("resumes after the CLI is killed mid-stream: no duplicate image or server, checksums verified", async () => {
    const { a, b } = m!;
    const src = await buildSource(a, 1, false);
    const name = uniq("s2d-resume");
    const specFile = path.join(tmp, `${name}.yaml`);
    fs.writeFileSync(
      specFile,
      [
        "source: { cloud: minicloud-a }",
        "target: { cloud: minicloud-b }",
        "servers:",
        `  - source: ${src.serverIds[0]}`,
        `    name: ${name}`,
        `    snapshotName: ${name}-snap`,
        "    keepSourceSnapshot: true        # compared with B's image below",
        `    image: { name: ${name}-image }`,
        `    network: ${bNet!.network.id}`,
        "    securityGroup: default",
        "    keypair: { mode: copy }",
        "",
      ].join("\n"),
    );
    const size = 64 * MiB;
    const run = (cmd: string, onLine?: (ev: Record<string, unknown>, child: ChildProcess) => void) =>
      new Promise<{ code: number | null; signal: string | null; lines: Record<string, unknown>[]; stderr: string }>(
        (resolve) => {
          const child = spawn(process.execPath, [BIN, cmd, specFile, "--json", "--max-rate", "12"], {
            env: process.env,
            stdio: ["ignore", "pipe", "pipe"],
          });
          const lines: Record<string, unknown>[] = [];
          let buf = "";
          let stderr = "";
          child.stdout!.on("data", (d: Buffer) => {
            buf += d.toString();
            let i: number;
            while ((i = buf.indexOf("\n")) >= 0) {
              const line = buf.slice(0, i);
              buf = buf.slice(i + 1);
              try {
                const ev = JSON.parse(line);
                lines.push(ev);
                onLine?.(ev, child);
              } catch {
                /* not JSON */
              }
            }
          });
          child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
          child.on("exit", (code, signal) => resolve({ code, signal, lines, stderr }));
        },
      );
    try {
      let killedAt = 0;
      const first = await run("migrate", (ev, child) => {
        if (ev.type === "snapshot-created") void fillSnapshot(a, String(ev.imageId), size);
        const p = ev.progress as { bytes: number } | undefined;
        if (ev.type === "progress" && p && p.bytes > 16 * MiB && !killedAt) {
          killedAt = p.bytes;
          child.kill("SIGKILL"); // a crash in the middle of the image stream
        }
      });
      expect(first.signal, first.stderr).to.equal("SIGKILL");
      expect(killedAt).to.be.greaterThan(0).and.lessThan(size);
      const journalFile = `${specFile}.journal`;
      const before = Journal.read(journalFile);
      expect(before.some((r) => r.step === "image-create")).to.equal(true);
      expect(before.some((r) => r.step === "image-data")).to.equal(false);

      const second = await run("resume");
      expect(second.code, second.stderr).to.equal(0);
      const skipped = second.lines.filter((l) => l.type === "step" && l.status === "skipped").map((l) => l.step);
      expect(skipped).to.include.members(["capture", "snapshot", "image-create"]);
      const summary = second.lines.find((l) => l.type === "summary") as {
        results: { targetServerId: string; targetImageId: string; checksums: { md5: string; hashValue: string } }[];
      };
      const r = summary.results[0];
      const images = await b.glance.listImages({ name: `${name}-image` });
      expect(images.map((i) => i.id)).to.deep.equal([r.targetImageId]);
      const servers = await b.nova.listServers({ name: `^${name}$` });
      expect(servers.map((s) => s.id)).to.deep.equal([r.targetServerId]);
      const snap = await a.glance.listImages({ name: `${name}-snap` });
      expect(snap).to.have.length(1);
      expect(r.checksums.md5).to.equal(snap[0].checksum);
      expect(r.checksums.hashValue).to.equal(snap[0].os_hash_value);
      const all = Journal.read(journalFile);
      expect(all.filter((x) => x.kind === "created" && x.resource?.type === "image")).to.have.length(1);
      expect(all.filter((x) => x.kind === "created" && x.resource?.type === "server")).to.have.length(1);
    } finally {
      const journal = new Journal(`${specFile}.journal`);
      await new MigrationEngine(a, b, { journal }).cleanup(src.serverIds[0]);
      journal.close();
      await src.cleanup();
    }
  });

  it("finishes a transfer that outlives its token (Keystone issuing 12-second tokens)", async () => {
    const { a, b } = m!;
    // Tokens from a second Keystone on minicloud's database and fernet keys, configured with
    // [token] expiration = 12; the stream is held to ~4 MB/s so 96 MiB takes ~25 s.
    const keystone = await startShortTokenKeystone(tmp, 12);
    const src = await buildSource(a, 1, false);
    const cfgB = loadCloud("minicloud-b");
    const bShort = new OpenStackClient({ ...cfgB, auth: { ...cfgB.auth, authUrl: keystone.authUrl } });
    const aShort = new OpenStackClient({
      ...loadCloud("minicloud-a"),
      auth: { ...loadCloud("minicloud-a").auth, authUrl: keystone.authUrl },
    });
    const journal = new Journal(path.join(tmp, "token.journal"));
    const engine = new MigrationEngine(aShort, bShort, {
      journal,
      maxBytesPerSecond: 4e6,
      onEvent: filler(a, 96 * MiB, []),
    });
    try {
      await bShort.connect();
      const info = bShort.session.tokenInfo!;
      const life = (info.expiresAt.getTime() - (info.issuedAt ?? new Date()).getTime()) / 1000;
      expect(life).to.be.at.most(13);
      const spec = validateSpec({
        source: { cloud: "minicloud-a" },
        target: { cloud: "minicloud-b" },
        servers: [{ source: src.serverIds[0], network: bNet!.network.id, keypair: { mode: "none" } }],
      });
      const r = await engine.migrate(spec.servers[0]);
      expect(r.streamSeconds).to.be.greaterThan(life);
      expect(bShort.session.authCount).to.be.greaterThan(1);
      const img = await b.glance.getImage(r.targetImageId);
      expect(img.status).to.equal("active");
      expect(img.checksum).to.equal(r.checksums.md5);
      console.log(
        `      token life ${life} s, stream ${r.streamSeconds.toFixed(1)} s, B re-authenticated ${bShort.session.authCount - 1} time(s)`,
      );
    } finally {
      await engine.cleanup(src.serverIds[0]);
      journal.close();
      aShort.close();
      bShort.close();
      await keystone.stop();
      await src.cleanup();
    }
  });

  it("catches a corrupted stream by its checksum and removes the target image", async () => {
    const { a, b } = m!;
    const src = await buildSource(a, 1, false);
    // A proxy in front of Glance A that flips one byte of image data: a faulty link.
    const glanceA = (await a.session.endpoint("image")).replace(/\/v2$/, "");
    const proxy = http.createServer((req, res) => {
      const up = http.request(
        new URL(req.url!, glanceA),
        { method: req.method, headers: { ...req.headers, host: new URL(glanceA).host } },
        (ur) => {
          res.writeHead(ur.statusCode ?? 502, ur.headers);
          let offset = 0;
          const corrupt = /\/file$/.test(req.url!) && req.method === "GET";
          ur.on("data", (c: Buffer) => {
            if (corrupt && offset <= MiB && offset + c.length > MiB) c[MiB - offset] ^= 0xff;
            offset += c.length;
            res.write(c);
          });
          ur.on("end", () => res.end());
        },
      );
      req.pipe(up);
    });
    await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
    const aViaProxy = new OpenStackClient(loadCloud("minicloud-a"), {
      endpointOverrides: { image: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}` },
    });
    const journal = new Journal(path.join(tmp, "corrupt.journal"));
    const events: EngineEvent[] = [];
    try {
      const engine = new MigrationEngine(aViaProxy, b, { journal, onEvent: filler(a, 4 * MiB, events) });
      const spec = validateSpec({
        source: { cloud: "minicloud-a" },
        target: { cloud: "minicloud-b" },
        servers: [{ source: src.serverIds[0], network: bNet!.network.id, keypair: { mode: "none" } }],
      });
      const err = await engine.migrate(spec.servers[0]).then(
        () => undefined,
        (e) => e,
      );
      expect(err).to.be.instanceOf(MigrationError);
      expect(err.step).to.equal("image-data");
      expect(err.message).to.match(/mismatch.*corrupted in transit/);
      expect(err.cleanedUp).to.equal(true);
      const imageId = journal.records.find((r) => r.kind === "created" && r.resource?.type === "image")!.resource!.id;
      expect(await b.glance.findImage(imageId)).to.equal(undefined);
    } finally {
      journal.close();
      aViaProxy.close();
      proxy.close();
      await src.cleanup();
    }
  });

  it("plan refuses a server with a second network interface, naming what would be left behind", async () => {
    const { a, b } = m!;
    const src = await buildSource(a, 1, false);
    const storage = await projectNetwork(a, "s2d-src-storage", "10.77.13.0/24", false);
    let serverId = "";
    try {
      const first = (await a.neutron.listPorts({ device_id: src.serverIds[0] }))[0];
      const created = await a.nova.createServer({
        name: uniq("s2d-two-nics"),
        flavorRef: src.flavor.id,
        imageRef: src.imageId,
        networks: [{ uuid: first.network_id }, { uuid: storage.network.id }],
      });
      serverId = created.id;
      await a.nova.waitForServer(serverId, ["ACTIVE"], { timeoutMs: 180_000 });
      // Which interface counts as the first is Neutron's order: the other one is named.
      const ips = (await a.neutron.listPorts({ device_id: serverId })).map((p) => p.fixed_ips[0].ip_address);
      const journal = new Journal(null);
      const report = await new MigrationEngine(a, b, { journal }).plan(
        validateSpec({
          source: { cloud: "minicloud-a" },
          target: { cloud: "minicloud-b" },
          servers: [{ source: serverId, network: bNet!.network.id }],
        }).servers,
      );
      const nics = report.problems.find((p) => p.field === "networkMap");
      expect(nics?.message, JSON.stringify(report.problems)).to.match(
        /interface 2 of the source server, on network .* has no target network and would be left behind; add a networkMap entry/,
      );
      expect(ips.filter((ip) => nics!.message.includes(ip))).to.have.length(1);
      expect(journal.records).to.deep.equal([]);
    } finally {
      if (serverId) {
        await a.nova.deleteServer(serverId);
        await a.nova.waitForServerDeleted(serverId, { timeoutMs: 120_000 }).catch(() => undefined);
      }
      await storage.cleanup();
      await src.cleanup();
    }
  });

  it("refuses a migration that B's instance quota cannot hold before anything is copied or created", async function () {
    const { a, b, admin } = m!;
    if (!admin) {
      unavailableHere(this, "quota test needs the minicloud-admin cloud to set project B's quota");
    }
    const src = await buildSource(a, 1, false);
    const projectB = b.session.projectId;
    const original = await admin!.nova.getQuotas(projectB);
    const group = uniq("s2d-quota");
    const journal = new Journal(path.join(tmp, "quota.journal"));
    try {
      // No instance left under B's quota, whatever B already runs.
      await admin!.nova.setQuotas(projectB, { instances: (await b.nova.absoluteLimits()).totalInstancesUsed ?? 0 });
      const engine = new MigrationEngine(a, b, { journal, onEvent: filler(a, 2 * MiB, []) });
      const spec = validateSpec({
        source: { cloud: "minicloud-a" },
        target: { cloud: "minicloud-b" },
        servers: [
          { source: src.serverIds[0], securityGroup: group, network: bNet!.network.id, keypair: { mode: "copy" } },
        ],
      });
      const err = await engine.migrate(spec.servers[0]).then(
        () => undefined,
        (e) => e,
      );
      expect(err).to.be.instanceOf(PreflightError);
      expect(err.message).to.match(
        /quota\.instances: project B uses (\d+) of \1 instances and this migration needs 1 more; raise the quota/,
      );
      expect(
        journal.records.filter((r) => r.kind === "created"),
        "nothing created in either cloud",
      ).to.deep.equal([]);
      expect(await b.nova.findKeypair(src.keyName)).to.equal(undefined);
      expect(await b.neutron.listSecurityGroups({ name: group })).to.deep.equal([]);
    } finally {
      await admin!.nova.setQuotas(projectB, { instances: original.instances });
      journal.close();
      await src.cleanup();
    }
  });
});
