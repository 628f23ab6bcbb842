import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Readable, Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { Flavor, TenantUsage } from "@openstack-blueprints/openstack-rest";
import {
  HashingMeter,
  Journal,
  buildUsageReport,
  chooseFlavor,
  planImageProperties,
  planRuleCopy,
  progressLine,
  ruleKey,
  usageCsv,
} from "../src";
import type { RuleShape } from "../src";

const rule = (r: Partial<RuleShape>): RuleShape => ({
  direction: "ingress",
  ethertype: "IPv4",
  protocol: null,
  port_range_min: null,
  port_range_max: null,
  remote_ip_prefix: null,
  remote_group_id: null,
  ...r,
});

describe("s2d engine logic", () => {
  it("keeps hw_*/os_* and user properties, drops read-only and cloud-A ones", () => {
    const plan = planImageProperties({
      id: "x",
      name: "n",
      status: "active",
      checksum: "c",
      size: 5,
      os_hash_algo: "sha512",
      os_hash_value: "h",
      self: "/v2/images/x",
      file: "/f",
      schema: "/s",
      hw_firmware_type: "uefi",
      hw_machine_type: "q35",
      os_type: "linux",
      os_distro: "debian",
      os_glance_importing_to_stores: "",
      os_hidden: false,
      instance_uuid: "i",
      image_type: "snapshot",
      user_id: "u",
      block_device_mapping: "[]",
      bdm_v2: "True",
      base_image_ref: "b",
      owner_project_name: "p",
      locations: [],
      direct_url: "file://",
      stores: "fs",
      app_version: "1.2",
      min_ram: 0,
    });
    expect(plan.copy).to.deep.equal({
      hw_firmware_type: "uefi",
      hw_machine_type: "q35",
      os_type: "linux",
      os_distro: "debian",
      app_version: "1.2",
    });
    expect(plan.dropped).to.include.members([
      "instance_uuid",
      "block_device_mapping",
      "bdm_v2",
      "os_glance_importing_to_stores",
      "checksum",
      "locations",
      "os_hidden",
    ]);
  });

  it("remaps remote groups to the target group, drops foreign ones, skips duplicates and B's existing rules", () => {
    const src = [
      rule({ protocol: "tcp", port_range_min: 22, port_range_max: 22, remote_ip_prefix: "10.0.0.0/8" }),
      rule({ protocol: "6", port_range_min: 22, port_range_max: 22, remote_ip_prefix: "10.0.0.0/8" }), // same rule, numeric protocol
      rule({ protocol: "tcp", port_range_min: 5432, port_range_max: 5432, remote_group_id: "sgA-web" }),
      rule({ protocol: "tcp", port_range_min: 80, port_range_max: 80, remote_group_id: "sgA-elsewhere" }),
      rule({ direction: "egress" }), // Neutron's auto egress rule, already in B
      rule({ protocol: "icmp", remote_ip_prefix: "192.0.2.1" }),
    ];
    const existingB = [
      rule({ direction: "egress", remote_ip_prefix: "0.0.0.0/0" }),
      rule({ direction: "egress", ethertype: "IPv6" }),
    ];
    const plan = planRuleCopy(src, ["sgA-web", "sgA-db"], "sgB", existingB);
    expect(plan.create).to.have.length(3);
    expect(plan.create[1]).to.deep.include({ remote_group_id: "sgB", port_range_min: 5432 });
    expect(plan.skippedDuplicates).to.equal(2);
    expect(plan.unmapped).to.have.length(1);
    expect(plan.unmapped[0].reason).to.match(/sgA-elsewhere/);
    expect(ruleKey(rule({ remote_ip_prefix: "192.0.2.1" }))).to.equal(
      ruleKey(rule({ remote_ip_prefix: "192.0.2.1/32" })),
    );
  });

  it("chooses a flavor by name, exact specs, or the smallest larger one, and reports extra-spec gaps", () => {
    const f = (id: string, vcpus: number, ram: number, disk: number, extra: Record<string, string> = {}): Flavor => ({
      id,
      name: id,
      vcpus,
      ram,
      disk,
      swap: "",
      "OS-FLV-EXT-DATA:ephemeral": 0,
      extra_specs: extra,
    });
    const flavors = [
      f("m1.large", 4, 8192, 80),
      f("m1.small", 1, 2048, 20),
      f("m1.medium", 2, 4096, 40, { "hw:cpu_policy": "dedicated" }),
    ];
    const src = {
      vcpus: 2,
      ram: 4096,
      disk: 40,
      ephemeral: 0,
      swap: 0,
      original_name: "medium",
      extra_specs: { "hw:cpu_policy": "dedicated", "hw:mem_page_size": "large" },
    };
    const exact = chooseFlavor(src, flavors);
    expect(exact.flavor.id).to.equal("m1.medium");
    expect(exact.how).to.equal("exact");
    expect(exact.warnings.join()).to.match(/hw:mem_page_size=large of the source flavor is missing/);
    const larger = chooseFlavor({ ...src, ram: 6000, extra_specs: {} }, flavors);
    expect(larger.flavor.id).to.equal("m1.large");
    expect(larger.how).to.equal("larger");
    expect(chooseFlavor(src, flavors, "m1.small").warnings.join()).to.match(/smaller than the source/);
    expect(() => chooseFlavor(src, flavors, "nope")).to.throw(/flavor "nope" does not exist in the target cloud/);
    expect(() => chooseFlavor({ ...src, vcpus: 64 }, flavors)).to.throw(/no flavor in the target cloud fits/);
  });

  it("journals steps and created ids with fsync, survives a torn last line, and forgets steps after cleanup", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "s2d-journal-"));
    const file = path.join(dir, "j");
    try {
      const j = new Journal(file);
      j.append({ server: "s1", kind: "start" });
      j.append({ server: "s1", kind: "created", resource: { type: "image", id: "img", cloud: "B" } });
      j.append({ server: "s1", kind: "step", step: "image-create", data: { targetImageId: "img" } });
      j.append({ server: "s2", kind: "step", step: "capture", data: {} });
      j.close();
      fs.appendFileSync(file, '{"server":"s1","kind":"step","step":"image-da'); // killed mid-write
      const j2 = new Journal(file);
      const st = j2.stateOf("s1");
      expect([...st.steps.keys()]).to.deep.equal(["image-create"]);
      expect(st.created).to.deep.equal([{ type: "image", id: "img", cloud: "B" }]);
      j2.append({ server: "s1", kind: "deleted", resource: { type: "image", id: "img", cloud: "B" } });
      j2.append({ server: "s1", kind: "cleaned" });
      const after = j2.stateOf("s1");
      expect(after.created).to.deep.equal([]);
      expect(after.steps.size).to.equal(0);
      expect(j2.stateOf("s2").steps.has("capture")).to.equal(true);
      j2.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("hashes MD5 and sha512 in one pass and honours a rate limit", async function () {
    this.timeout(10000);
    const data = randomBytes(3 * 1024 * 1024 + 17);
    const meter = new HashingMeter("sha512", undefined, data.length, 6 * 1024 * 1024);
    const started = Date.now();
    await pipeline(
      Readable.from([data.subarray(0, 1000), data.subarray(1000)]),
      meter,
      new Writable({
        write(_c, _e, cb) {
          cb();
        },
      }),
    );
    expect(meter.md5.digest("hex")).to.equal(createHash("md5").update(data).digest("hex"));
    expect(meter.hash.digest("hex")).to.equal(createHash("sha512").update(data).digest("hex"));
    expect(meter.bytes).to.equal(data.length);
    expect(Date.now() - started).to.be.greaterThan(400); // 3 MiB at 6 MiB/s ≈ 0.5 s
    expect(() => new HashingMeter("nope-512")).to.throw(/not supported/);
  });

  it("formats progress with bytes, rate and ETA", () => {
    expect(
      progressLine("web", {
        bytes: 512 * 1024 * 1024,
        total: 1024 * 1024 * 1024,
        rate: 128 * 1024 * 1024,
        etaMs: 4000,
      }),
    ).to.equal("web: 512.0 MiB / 1.0 GiB  50.0% at 128.0 MiB/s ETA 4s");
  });

  it("turns tenant usage into vCPU/RAM/disk hours, costs and CSV", () => {
    const u: TenantUsage = {
      tenant_id: "p",
      start: "2026-11-01T00:00:00",
      stop: "2026-11-02T00:00:00",
      total_hours: 0,
      total_vcpus_usage: 0,
      total_memory_mb_usage: 0,
      total_local_gb_usage: 0,
      server_usages: [
        {
          instance_id: "s1",
          name: "web, 1",
          hours: 10,
          vcpus: 2,
          memory_mb: 2048,
          local_gb: 20,
          flavor: "m1.small",
          started_at: "x",
          ended_at: null,
          state: "active",
          uptime: 36000,
          tenant_id: "p",
        },
        {
          instance_id: "s2",
          name: "db",
          hours: 5,
          vcpus: 4,
          memory_mb: 8192,
          local_gb: 40,
          flavor: "m1.large",
          started_at: "y",
          ended_at: "z",
          state: "terminated",
          uptime: 18000,
          tenant_id: "p",
        },
      ],
    };
    const r = buildUsageReport(u, {
      currency: "EUR",
      vcpuHour: 0.01,
      ramGbHour: 0.005,
      diskGbHour: 0.0001,
      flavorHour: { "m1.large": 0.1 },
    });
    expect(r.servers[0]).to.deep.include({
      uptimeHours: 10,
      vcpuHours: 20,
      ramGbHours: 20,
      diskGbHours: 200,
      cost: 0.32,
    });
    expect(r.servers[1]).to.deep.include({ vcpuHours: 20, ramGbHours: 40, diskGbHours: 200, cost: 0.92 });
    expect(r.totals).to.deep.include({ vcpuHours: 40, cost: 1.24 });
    const csv = usageCsv(r).split("\n");
    expect(csv[0]).to.equal(
      "serverId,name,flavor,state,startedAt,endedAt,uptimeHours,hours,vcpuHours,ramGbHours,diskGbHours,cost",
    );
    expect(csv[1]).to.equal('s1,"web, 1",m1.small,active,x,,10,10,20,20,200,0.32');
  });
});
