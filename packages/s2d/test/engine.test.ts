import { expect } from "chai";
import { Nova } from "@openstack-blueprints/openstack-rest";
import type { Session } from "@openstack-blueprints/openstack-rest";
import {
  ChecksumMismatchError,
  EngineEvent,
  Journal,
  MigrationEngine,
  PreflightError,
  SpecChangedError,
  checkTargetHash,
  planRuleCopy,
  ruleKey,
  scaledTimeouts,
  specFingerprint,
  validateSpec,
} from "../src";
import type { RuleShape, ServerSpec } from "../src";
import { FakeCloud, hashedImage, twoClouds } from "./fake-clouds";

const serverSpec = (s: Record<string, unknown>): ServerSpec =>
  validateSpec({ source: { cloud: "a" }, target: { cloud: "b" }, servers: [s] }).servers[0];

async function rejection(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error("expected the promise to reject");
    },
    (e: Error) => e,
  );
}

function engineFor(a: FakeCloud, b: FakeCloud, events: EngineEvent[] = [], extra: Record<string, unknown> = {}) {
  const journal = new Journal(null);
  return {
    journal,
    engine: new MigrationEngine(a.client, b.client, { journal, onEvent: (e) => events.push(e), ...extra }),
  };
}

describe("s2d engine against in-memory clouds", () => {
  it("checks cloud B before any image bytes move and reports every problem at once, creating nothing", async () => {
    const { a, b, serverId } = twoClouds();
    b.groups = []; // no default group in B
    b.limits = { ...b.limits, maxTotalInstances: 10, totalInstancesUsed: 10 };
    const { engine, journal } = engineFor(a, b);
    const spec = serverSpec({
      source: serverId,
      keypair: { mode: "existing", name: "nokey" },
      flavor: { name: "m9.huge" },
      network: "privat",
      floatingIp: "new",
      floatingNetwork: "publik",
    });
    const err = await rejection(engine.migrate(spec));
    expect(err).to.be.instanceOf(PreflightError);
    const byField = Object.fromEntries((err as PreflightError).problems.map((p) => [p.field, p]));
    expect(Object.keys(byField)).to.include.members([
      "keypair.name",
      "flavor.name",
      "network",
      "floatingNetwork",
      "securityGroup",
      "quota.instances",
    ]);
    expect(byField["keypair.name"]).to.deep.include({ value: "nokey" });
    expect(byField["network"].message).to.match(/not found in cloud B \(have: private, public\); set network/);
    expect(byField["network"].value).to.equal("privat");
    expect(byField["floatingNetwork"].message).to.match(/external networks: public/);
    expect(byField["quota.instances"]).to.deep.include({ value: "10/10" });
    expect(err.message).to.match(/6 problems found before any image data moved/);
    expect(b.calls, "nothing created in B").to.deep.equal([]);
    expect(a.calls, "no snapshot taken in A").to.deep.equal([]);
    expect(journal.records, "no journal records for a refused migration").to.deep.equal([]);
  });

  it("refuses, with the list, a server whose volumes B cannot take, ephemeral disk or extra NICs would be left behind", async () => {
    const { a, b, serverId } = twoClouds();
    const srv = a.servers[0] as (typeof a.servers)[0] & Record<string, unknown>;
    srv["os-extended-volumes:volumes_attached"] = [{ id: "vol-data" }, { id: "vol-logs" }];
    const attached = (id: string, size: number, device: string, volume_type: string) => ({
      id,
      name: id,
      status: "in-use",
      size,
      volume_type,
      attachments: [{ server_id: serverId, device }],
    });
    a.volumes.push(attached("vol-data", 10, "/dev/vdb", "fast"), attached("vol-logs", 5, "/dev/vdc", "__DEFAULT__"));
    // B has room for one more volume and 12 GB: the two volumes (2, 15 GB) do not fit.
    b.volumeQuota = { volumes: { limit: 10, in_use: 9 }, gigabytes: { limit: 100, in_use: 80, reserved: 8 } };
    srv.flavor = { vcpus: 1, ram: 512, disk: 1, ephemeral: 5, swap: 0, original_name: "m1.eph" };
    a.ports.push({
      ...a.ports[0],
      id: "pA-2",
      network_id: "netA-storage",
      fixed_ips: [{ subnet_id: "s2", ip_address: "10.9.0.7" }],
    });
    const { engine, journal } = engineFor(a, b);
    const err = await rejection(engine.migrate(serverSpec({ source: serverId })));
    expect(err).to.be.instanceOf(PreflightError);
    const messages = (err as PreflightError).problems.map((p) => p.message).join("\n");
    const byField = Object.fromEntries((err as PreflightError).problems.map((p) => [p.field, p]));
    expect(byField["quota.volumes"]).to.deep.include({ value: "9/10" });
    expect(byField["quota.volumes"].message).to.match(/uses 9 of 10 volumes and this migration needs 2 more/);
    expect(byField["quota.gigabytes"]).to.deep.include({ value: "88/100" });
    expect(byField["quota.gigabytes"].message).to.match(/needs 15 more/);
    expect(messages).to.match(/m1\.eph has a 5 GB ephemeral disk whose data would be left behind/);
    expect(messages).to.match(
      /interface 2 of the source server, on network netA-storage with 10\.9\.0\.7, has no target network and would be left behind; add a networkMap entry/,
    );
    expect(b.calls, "nothing created in B").to.deep.equal([]);
    expect(a.calls, "no snapshot taken in A").to.deep.equal([]);
    expect(journal.records).to.deep.equal([]);
  });

  it("runAll checks every server of a batch first: one bad server stops the whole batch before any copy", async () => {
    const { a, b, serverId } = twoClouds();
    a.servers.push({ ...a.servers[0], id: "srv-db", name: "db" });
    const { engine } = engineFor(a, b);
    const spec = validateSpec({
      source: { cloud: "a" },
      target: { cloud: "b" },
      servers: [
        { source: serverId, network: "private" },
        { source: "srv-db", network: "nowhere" },
      ],
    });
    const err = await rejection(engine.runAll(spec));
    expect(err).to.be.instanceOf(PreflightError);
    expect((err as PreflightError).problems.map((p) => `${p.server}:${p.field}`)).to.deep.equal(["srv-db:network"]);
    expect(b.calls).to.deep.equal([]);
    expect(a.calls).to.deep.equal([]);
  });

  it("migrates when B passes the checks, then deletes A's snapshot (kept when asked)", async () => {
    for (const keep of [false, true]) {
      const { a, b, serverId } = twoClouds();
      const { engine } = engineFor(a, b);
      const r = await engine.migrate(serverSpec({ source: serverId, keepSourceSnapshot: keep }));
      expect(r.targetServerStatus).to.equal("ACTIVE");
      const snapshotDeleted = a.calls.includes(`deleteImage ${r.sourceImageId}`);
      expect(snapshotDeleted, `keepSourceSnapshot ${keep}`).to.equal(!keep);
      expect(r.sourceSnapshotRemoved).to.equal(!keep);
      expect(
        b.calls.some((c) => c.startsWith("deleteImage")),
        "B's image stays",
      ).to.equal(false);
    }
  });

  it("boots the new server in the availability zone asked for, and refuses a zone B does not have before anything moves", async () => {
    const ok = twoClouds();
    ok.b.zones.push({ zoneName: "guests", zoneState: { available: true } });
    await engineFor(ok.a, ok.b).engine.migrate(serverSpec({ source: ok.serverId, availabilityZone: "guests" }));
    expect(ok.b.calls).to.include("createServer web in guests");

    const missing = twoClouds();
    missing.b.zones.push({ zoneName: "guests", zoneState: { available: false } });
    for (const [zone, why] of [
      ["gusets", /no such availability zone in cloud B \(zones: nova, guests\); set availabilityZone/],
      ["guests", /not available in cloud B/],
    ] as const) {
      const err = await rejection(
        engineFor(missing.a, missing.b).engine.migrate(
          serverSpec({ source: missing.serverId, availabilityZone: zone }),
        ),
      );
      expect(err).to.be.instanceOf(PreflightError);
      const p = (err as PreflightError).problems.find((x) => x.field === "availabilityZone");
      expect(p, err.message).to.deep.include({ value: zone });
      expect(p!.message).to.match(why);
    }
    expect(missing.b.calls, "nothing created in B").to.deep.equal([]);
    expect(missing.a.calls, "no snapshot taken in A").to.deep.equal([]);
  });

  describe("a server booted directly with a kernel and initrd (kernel_id/ramdisk_id)", () => {
    const kernel = Buffer.from("vmlinuz bytes ".repeat(300));
    const initrd = Buffer.from("initrd bytes ".repeat(500));
    /** A's public aki/ari, the base image and its snapshot naming them (as Nova's snapshot does). */
    const directBoot = () => {
      const t = twoClouds();
      const boot = (id: string, name: string, fmt: "aki" | "ari", data: Buffer, algo: string, owner: string) => ({
        id,
        name,
        status: "active",
        disk_format: fmt,
        container_format: fmt,
        min_disk: 0,
        min_ram: 0,
        visibility: "public",
        protected: false,
        owner,
        tags: [],
        ...hashedImage(data, algo),
      });
      t.a.images.push(
        boot("aki-A", "debian-kernel", "aki", kernel, t.a.hashAlgo, "admin"),
        boot("ari-A", "debian-initrd", "ari", initrd, t.a.hashAlgo, "admin"),
      );
      const fixture = t.a.images.find((i) => i.name === "fixture-disk")! as Record<string, unknown>;
      Object.assign(fixture, { kernel_id: "aki-A", ramdisk_id: "ari-A" });
      t.a.images.push({ ...(fixture as unknown as (typeof t.a.images)[0]), id: "base", name: "debian-base" });
      return { ...t, boot };
    };

    it("gives B's copy the ids of B's images with the same bytes (matched by hash, or by MD5 across algorithms)", async () => {
      for (const bAlgo of ["sha512", "sha256"]) {
        const t = directBoot();
        t.b.hashAlgo = bAlgo;
        t.b.images.push(
          t.boot("aki-B", "debian-kernel", "aki", kernel, bAlgo, "admin"),
          t.boot("ari-B", "debian-initrd", "ari", initrd, bAlgo, "admin"),
          // Same name, other bytes: never chosen.
          t.boot("ari-B-old", "debian-initrd", "ari", Buffer.from("older initrd"), bAlgo, "admin"),
        );
        const events: EngineEvent[] = [];
        const r = await engineFor(t.a, t.b, events).engine.migrate(serverSpec({ source: t.serverId }));
        const copy = t.b.images.find((i) => i.id === r.targetImageId)! as Record<string, unknown>;
        expect(copy, bAlgo).to.deep.include({ kernel_id: "aki-B", ramdisk_id: "ari-B" });
        const notes = events.filter((e) => e.type === "info").map((e) => (e as { message: string }).message);
        expect(notes).to.include(
          `kernel_id: A's image aki-A (debian-kernel) is B's image aki-B (debian-kernel, same ${bAlgo === "sha512" ? "sha512" : "MD5"})`,
        );
      }
    });

    it("keeps the ids when both clouds share one Glance (the same image is visible in B)", async () => {
      const t = directBoot();
      t.b.images.push(
        t.boot("aki-A", "debian-kernel", "aki", kernel, "sha512", "admin"),
        t.boot("ari-A", "debian-initrd", "ari", initrd, "sha512", "admin"),
      );
      const r = await engineFor(t.a, t.b).engine.migrate(serverSpec({ source: t.serverId }));
      const copy = t.b.images.find((i) => i.id === r.targetImageId)! as Record<string, unknown>;
      expect(copy).to.deep.include({ kernel_id: "aki-A", ramdisk_id: "ari-A" });
    });

    it("refuses, before the snapshot, when B holds no kernel or initrd with the same bytes, saying what to upload", async () => {
      const t = directBoot();
      t.b.images.push(t.boot("aki-B", "debian-kernel", "aki", kernel, "sha512", "admin"));
      // A kernel of the same name with other bytes does not count.
      t.b.images.push(t.boot("ari-B", "debian-initrd", "ari", Buffer.from("another initrd"), "sha512", "admin"));
      const err = await rejection(engineFor(t.a, t.b).engine.migrate(serverSpec({ source: t.serverId })));
      expect(err).to.be.instanceOf(PreflightError);
      const problems = (err as PreflightError).problems;
      expect(problems.map((p) => p.field)).to.deep.equal(["image.ramdisk_id"]);
      expect(problems[0].value).to.equal("ari-A");
      expect(problems[0].message).to.match(
        /A's initrd image "debian-initrd" \(ari-A, ari, 6500 bytes, md5 [0-9a-f]{32}\), and cloud B holds no image with the same bytes; upload the same file to cloud B first \(openstack image create --disk-format ari --container-format ari/,
      );
      expect(t.a.calls, "no snapshot taken in A").to.deep.equal([]);
      expect(t.b.calls, "nothing created in B").to.deep.equal([]);
    });
  });

  it("reports the new server's addresses with its floating IP, which Nova's lagging view does not show yet", async () => {
    const { a, b, serverId } = twoClouds();
    const { engine } = engineFor(a, b);
    const r = await engine.migrate(serverSpec({ source: serverId, floatingIp: "new", floatingNetwork: "public" }));
    expect(
      b.servers[0].addresses.private.map((x) => x.addr),
      "Nova's view",
    ).to.deep.equal(["10.0.0.5"]);
    expect(r.floatingIp).to.equal("203.0.113.9");
    expect(r.addresses).to.deep.equal({ private: ["10.0.0.5", "203.0.113.9"] });
  });

  it("never recreates an address-group rule without its remote: mapped to a copy in B, or refused before copying", async () => {
    const withAgRule = () => {
      const t = twoClouds();
      t.a.addressGroups = [{ id: "agA", name: "office", addresses: ["192.0.2.0/24"], project_id: "projA" }];
      t.a.rules.push({
        id: "r2",
        security_group_id: "sgA-web",
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "tcp",
        port_range_min: 443,
        port_range_max: 443,
        remote_ip_prefix: null,
        remote_group_id: null,
        remote_address_group_id: "agA",
      });
      return t;
    };
    // B supports address groups: the group is copied and the rule points at the copy.
    const ok = withAgRule();
    await engineFor(ok.a, ok.b).engine.migrate(serverSpec({ source: ok.serverId, securityGroup: "web" }));
    const agB = ok.b.addressGroups!.find((g) => g.name === "office")!;
    expect(agB.addresses).to.deep.equal(["192.0.2.0/24"]);
    const https = ok.b.rules.find((r) => r.port_range_min === 443)!;
    expect(https.remote_address_group_id).to.equal(agB.id);
    expect(https.remote_ip_prefix).to.equal(null);

    // B without the address-group extension: refused before the copy, nothing created.
    const noExt = withAgRule();
    noExt.b.addressGroups = null;
    const err = await rejection(
      engineFor(noExt.a, noExt.b).engine.migrate(serverSpec({ source: noExt.serverId, securityGroup: "web" })),
    );
    expect(err).to.be.instanceOf(PreflightError);
    expect(err.message).to.match(
      /securityGroup: rule ingress IPv4 tcp 443-443 allows only address group "office" .*no address-group extension.*allow every source/,
    );
    expect(noExt.b.calls).to.deep.equal([]);

    // A does not show the address group: refused as well.
    const hidden = withAgRule();
    hidden.a.addressGroups = [];
    const err2 = await rejection(engineFor(hidden.a, hidden.b).engine.migrate(serverSpec({ source: hidden.serverId })));
    expect(err2.message).to.match(/address group agA, which cloud A does not show/);
    expect(hidden.b.calls).to.deep.equal([]);
  });

  it("plans address-group rules as refused without a mapping, and never as duplicates of open rules", () => {
    const ag: RuleShape = {
      direction: "ingress",
      ethertype: "IPv4",
      protocol: "tcp",
      port_range_min: 443,
      port_range_max: 443,
      remote_ip_prefix: null,
      remote_group_id: null,
      remote_address_group_id: "agA",
    };
    const open: RuleShape = { ...ag, remote_address_group_id: null };
    const refused = planRuleCopy([ag], [], "sgB", []);
    expect(refused.create).to.deep.equal([]);
    expect(refused.refused).to.have.length(1);
    expect(refused.refused[0].reason).to.match(/would allow every source/);
    const mapped = planRuleCopy([ag], [], "sgB", [open], { agA: "agB" });
    expect(mapped.create).to.deep.equal([{ ...open, remote_address_group_id: "agB" }]);
    expect(ruleKey(ag)).to.not.equal(ruleKey(open));
  });

  it("compares B's os_hash_value like with like when the two Glances hash with different algorithms", async () => {
    // A sha256, B sha512 (Glance's default): B's value is checked against our own sha512 of the stream.
    const t1 = twoClouds({ aAlgo: "sha256", bAlgo: "sha512" });
    const r1 = await engineFor(t1.a, t1.b).engine.migrate(serverSpec({ source: t1.serverId }));
    expect(r1.checksums).to.deep.include({ hashAlgo: "sha512", hashCheck: "own-hash" });
    // A sha512, B sha384 (not computed during the stream): MD5 and size decide, with a warning.
    const t2 = twoClouds({ aAlgo: "sha512", bAlgo: "sha384" });
    const events: EngineEvent[] = [];
    const r2 = await engineFor(t2.a, t2.b, events).engine.migrate(serverSpec({ source: t2.serverId }));
    expect(r2.checksums).to.deep.include({ hashAlgo: "sha384", hashCheck: "md5-only" });
    expect(
      events.some((e) => e.type === "warning" && /hashes images with sha384.*verified by MD5 and size/.test(e.message)),
    ).to.equal(true);
    expect(
      t2.b.calls.some((c) => c.startsWith("deleteImage")),
      "B's good image is kept",
    ).to.equal(false);
    // Same algorithm: B's value must equal A's; a different one is corruption.
    expect(
      checkTargetHash({ os_hash_algo: "sha512", os_hash_value: "aa" }, "sha512", new Map([["sha512", "aa"]])),
    ).to.equal("same-algorithm");
    expect(() =>
      checkTargetHash({ os_hash_algo: "sha512", os_hash_value: "bb" }, "sha512", new Map([["sha512", "aa"]])),
    ).to.throw(ChecksumMismatchError);
    expect(() =>
      checkTargetHash(
        { os_hash_algo: "sha256", os_hash_value: "bb" },
        "sha512",
        new Map([
          ["sha512", "aa"],
          ["sha256", "cc"],
        ]),
      ),
    ).to.throw(/sha256\) vs the bytes sent/);
  });

  /** A second server in A ("db") snapshotting to the same bytes as "web" (one base image, nothing written since). */
  const secondServer = (a: FakeCloud) => {
    a.servers.push({ ...a.servers[0], id: "srv-db", name: "db" });
    a.ports.push({ ...a.ports[0], id: "pA-db", device_id: "srv-db" });
  };
  const uploads = (c: FakeCloud) => c.calls.filter((x) => x.startsWith("upload")).length;

  it("zero-copy: a second server of the same image moves no bytes and boots from B's image, reported as such", async () => {
    const { a, b, serverId, data } = twoClouds();
    secondServer(a);
    const events: EngineEvent[] = [];
    const { engine } = engineFor(a, b, events);
    const first = await engine.migrate(serverSpec({ source: serverId, securityGroup: "web" }));
    expect(first.zeroCopy).to.equal(false);
    expect(first.bytes).to.equal(data.length);
    expect(uploads(b)).to.equal(1);
    const second = await engine.migrate(serverSpec({ source: "srv-db", securityGroup: "web" }));
    expect(second.zeroCopy).to.equal(true);
    expect(second.bytes).to.equal(0);
    expect(second.targetImageId).to.equal(first.targetImageId);
    expect(second.checksums).to.deep.include({ md5: first.checksums.md5, hashValue: first.checksums.hashValue });
    expect(uploads(b), "no second upload").to.equal(1);
    expect(
      b.calls.filter((x) => x.startsWith("createImage")),
      "no second image",
    ).to.have.length(1);
    expect(b.servers.find((s) => s.id === second.targetServerId)?.image).to.deep.equal({ id: first.targetImageId });
    const told = events
      .filter((e) => e.type === "info" && e.server === "srv-db")
      .map((e) => (e as { message: string }).message);
    expect(told.join("\n")).to.match(/zero-copy: cloud B already holds image .* with the same sha512 and MD5/);
  });

  it("zero-copy only like with like: a Glance hashing with another algorithm gets a copy", async () => {
    const { a, b, serverId } = twoClouds({ bAlgo: "sha256" });
    secondServer(a);
    const { engine } = engineFor(a, b);
    await engine.migrate(serverSpec({ source: serverId }));
    const second = await engine.migrate(serverSpec({ source: "srv-db" }));
    expect(second.zeroCopy).to.equal(false);
    expect(uploads(b)).to.equal(2);
  });

  it("ref-counts what two migrated servers share: one's cleanup keeps group, rules, keypair and image for the other", async () => {
    const { a, b, serverId } = twoClouds();
    secondServer(a);
    const events: EngineEvent[] = [];
    const { engine, journal } = engineFor(a, b, events);
    const first = await engine.migrate(serverSpec({ source: serverId, securityGroup: "web" }));
    const second = await engine.migrate(serverSpec({ source: "srv-db", securityGroup: "web" }));
    const group = b.groups.find((g) => g.name === "web")!;
    const rulesOfWeb = () => b.rules.filter((r) => r.security_group_id === group.id).length;
    const rulesBefore = rulesOfWeb();
    expect(rulesBefore).to.be.greaterThan(0);
    // The second migration adopted the group, the keypair and the image the first made (all made by s2d).
    expect(
      journal
        .stateOf("srv-db")
        .created.filter((c) => c.shared)
        .map((c) => c.type),
    ).to.have.members(["security_group", "keypair", "image"]);
    expect(b.servers.map((s) => s.metadata?.s2d_keypair)).to.deep.equal(["alice", "alice"]);

    await engine.cleanup(serverId); // e.g. `pulumi destroy` of the first migration only
    expect(b.servers.map((s) => s.id)).to.deep.equal([second.targetServerId]);
    expect(
      b.groups.some((g) => g.id === group.id),
      "group kept",
    ).to.equal(true);
    expect(rulesOfWeb(), "rules kept").to.equal(rulesBefore);
    expect(
      b.keypairs.map((k) => k.name),
      "keypair kept",
    ).to.include("alice");
    expect(
      b.images.some((i) => i.id === first.targetImageId),
      "image kept",
    ).to.equal(true);
    const kept = events.filter((e) => e.type === "cleanup" && e.server === serverId && e.kept);
    expect(kept.map((e) => (e as { resource: { type: string } }).resource.type)).to.include.members([
      "keypair",
      "security_group",
      "security_group_rule",
      "image",
    ]);

    await engine.cleanup("srv-db"); // the last user goes: the shared group (with its rules) and image go too
    expect(b.servers).to.deep.equal([]);
    expect(
      b.groups.some((g) => g.id === group.id),
      "group removed by the last user",
    ).to.equal(false);
    expect(
      b.images.some((i) => i.id === first.targetImageId),
      "image removed by the last user",
    ).to.equal(false);
    expect(
      b.keypairs.map((k) => k.name),
      "keypair removed by the last user",
    ).to.not.include("alice");
  });

  it("finds s2d's keypair by the mark on a migrated server in B (a later run), and never takes the user's own", async () => {
    // A later run (another engine, another journal) reuses the keypair the first run imported.
    const { a, b, serverId } = twoClouds();
    secondServer(a);
    const first = engineFor(a, b);
    await first.engine.migrate(serverSpec({ source: serverId }));
    const later = engineFor(a, b);
    await later.engine.migrate(serverSpec({ source: "srv-db" }));
    expect(later.journal.stateOf("srv-db").created.find((c) => c.type === "keypair")).to.deep.include({
      id: "alice",
      shared: true,
    });
    await first.engine.cleanup(serverId);
    expect(
      b.keypairs.map((k) => k.name),
      "kept for srv-db's copy",
    ).to.include("alice");
    await later.engine.cleanup("srv-db");
    expect(
      b.keypairs.map((k) => k.name),
      "the last one removes it",
    ).to.not.include("alice");

    // The user's own keypair in B (same key, made before any migration): used, never recorded nor removed.
    const own = twoClouds();
    secondServer(own.a);
    own.b.keypairs.push({ name: "alice", public_key: "ssh-ed25519 AAAAC3Nza alice@b", fingerprint: "f" });
    const run = engineFor(own.a, own.b);
    await run.engine.migrate(serverSpec({ source: own.serverId }));
    await run.engine.migrate(serverSpec({ source: "srv-db" }));
    for (const k of [own.serverId, "srv-db"])
      expect(
        run.journal.stateOf(k).created.filter((c) => c.type === "keypair"),
        k,
      ).to.deep.equal([]);
    expect(own.b.servers.map((s) => s.metadata?.s2d_keypair)).to.deep.equal([undefined, undefined]);
    await run.engine.cleanup(own.serverId);
    await run.engine.cleanup("srv-db");
    expect(
      own.b.keypairs.map((k) => k.name),
      "the user's keypair stays",
    ).to.deep.equal(["alice"]);
  });

  it("a failed server's cleanup keeps the group and rules a server of the same run is still being migrated into", async () => {
    const { a, b, serverId } = twoClouds();
    secondServer(a);
    const createServer = b.client.nova.createServer.bind(b.client.nova);
    (b.client.nova as { createServer: typeof createServer }).createServer = async (req) => {
      if (req.name === "web") throw new Error("No valid host was found");
      return createServer(req);
    };
    const events: EngineEvent[] = [];
    const { engine } = engineFor(a, b, events);
    const spec = validateSpec({
      source: { cloud: "a" },
      target: { cloud: "b" },
      concurrency: 2,
      servers: [
        { source: serverId, securityGroup: "web" },
        { source: "srv-db", securityGroup: "web" },
      ],
    });
    const { results, errors } = await engine.runAll(spec);
    expect(errors.map((e) => e.server)).to.deep.equal([serverId]);
    expect(results.map((r) => r.source)).to.deep.equal(["srv-db"]);
    const group = b.groups.find((g) => g.name === "web");
    expect(group, "group kept").to.not.equal(undefined);
    expect(b.rules.filter((r) => r.security_group_id === group!.id).length, "rules kept").to.be.greaterThan(0);
    expect(
      b.images.some((i) => i.id === results[0].targetImageId),
      "image kept",
    ).to.equal(true);
  });

  it("refuses to resume after the spec changed, naming the changed fields", async () => {
    const { a, b, serverId } = twoClouds();
    const { engine, journal } = engineFor(a, b);
    const before = serverSpec({ source: serverId, network: "private" });
    journal.append({
      server: serverId,
      kind: "start",
      data: { fingerprint: specFingerprint(before), spec: { ...before } },
    });
    journal.append({ server: serverId, kind: "created", resource: { type: "image", id: "img-b", cloud: "B" } });
    const err = await rejection(engine.migrate(serverSpec({ source: serverId, network: "netB", floatingIp: "new" })));
    expect(err).to.be.instanceOf(SpecChangedError);
    expect(err.message).to.match(/changed: floatingIp, network\)/);
    expect(b.calls).to.deep.equal([]);
    expect(a.calls).to.deep.equal([]);
  });

  it("scales timeouts with the image size, takes explicit ones, and waits with them", async () => {
    const small = scaledTimeouts(1e9);
    expect(small).to.deep.equal({
      snapshotMs: 30 * 60_000,
      stopMs: 5 * 60_000,
      imageActiveMs: 5 * 60_000,
      bootMs: 10 * 60_000,
    });
    const big = scaledTimeouts(200e9);
    expect(big.snapshotMs).to.equal(10_000_000); // 200 GB at 20 MB/s
    expect(big.imageActiveMs).to.equal(4_000_000);
    expect(scaledTimeouts(200e9, { bootMs: 1234 }).bootMs).to.equal(1234);
    const { a, b, serverId } = twoClouds();
    await engineFor(a, b, [], { timeouts: { bootMs: 4321 } }).engine.migrate(serverSpec({ source: serverId }));
    expect(b.waits).to.include("server 4321");
  });

  it("negotiates the compute microversion from the version document: min(ours, the cloud's)", async () => {
    const sent: string[] = [];
    const session = (max: string) =>
      ({
        json: async (_svc: string, r: { path: string; headers?: Record<string, string> }) => {
          if (r.path === "")
            return { body: { version: { id: "v2.1", status: "CURRENT", version: max, min_version: "2.1" } } };
          sent.push(r.headers?.["OpenStack-API-Version"] ?? "");
          return { body: { flavors: [] } };
        },
      }) as unknown as Session;
    const older = new Nova(session("2.60"));
    expect(await older.negotiateMicroversion("2.79", "2.47")).to.equal("2.60");
    await older.listFlavors();
    expect(sent).to.deep.equal(["compute 2.60"]);
    expect(await new Nova(session("2.95")).negotiateMicroversion("2.79")).to.equal("2.79");
    const tooOld = await rejection(new Nova(session("2.25")).negotiateMicroversion("2.79", "2.47"));
    expect(tooOld.message).to.match(/offers microversions up to 2.25, but 2.47 or later is needed/);
  });
});
