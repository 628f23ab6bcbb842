import { expect } from "chai";
import {
  compareCosts,
  describeShortfall,
  hostCapacities,
  planCapacity,
  RATIO_PRESETS,
} from "../../src/desktop/capacity";

const GiB = 1024;
const SEED_HOST = { name: "seed-server", vcpus: 16, ramMiB: 128 * GiB, reservedRamMiB: 0 };
const SEED_FLAVOR = { name: "desktop-4c4g", vcpus: 4, ramMiB: 4 * GiB };

describe("desktop capacity planner", () => {
  it("reproduces the seed's 48 desktops with its numbers (16 cores, 128 GB, 16:1, 1.5:1, 4 vCPU/4 GB)", () => {
    const plan = planCapacity({ hosts: [SEED_HOST], flavors: [SEED_FLAVOR], ratios: RATIO_PRESETS["seed-2017"] });
    expect(plan.hosts).to.deep.equal([{ name: "seed-server", vcpuCapacity: 256, ramCapacityMiB: 192 * GiB }]);
    expect(plan.fitByFlavor).to.deep.equal([
      { flavor: "desktop-4c4g", desktops: 48, limitedBy: "ram", employeesIfIdleShelved: 48 },
    ]);
  });

  it("gives 16 with today's Nova defaults (4.0/1.0): CPU runs out first", () => {
    const plan = planCapacity({ hosts: [SEED_HOST], flavors: [SEED_FLAVOR] });
    expect(plan.ratios).to.deep.equal({ cpu: 4, ram: 1, disk: 1 });
    expect(plan.fitByFlavor[0]).to.deep.equal({
      flavor: "desktop-4c4g",
      desktops: 16,
      limitedBy: "vcpu",
      employeesIfIdleShelved: 16,
    });
  });

  it("subtracts reserved host memory (Nova's 512 MiB by default) before the ratio", () => {
    const host = { vcpus: 16, ramMiB: 128 * GiB };
    expect(hostCapacities([host], RATIO_PRESETS["seed-2017"])[0].ramCapacityMiB).to.equal(
      Math.floor((128 * GiB - 512) * 1.5),
    );
    const plan = planCapacity({ hosts: [host], flavors: [SEED_FLAVOR], ratios: RATIO_PRESETS["seed-2017"] });
    expect(plan.fitByFlavor[0].desktops).to.equal(47);
    const reservedCpu = planCapacity({ hosts: [{ ...SEED_HOST, reservedVcpus: 2 }], flavors: [SEED_FLAVOR] });
    expect(reservedCpu.hosts[0].vcpuCapacity).to.equal(56);
  });

  it("places mixed flavors on several hosts, one server per host, and reports what does not fit", () => {
    const flavors = [
      { name: "small", vcpus: 2, ramMiB: 2 * GiB },
      { name: "large", vcpus: 8, ramMiB: 16 * GiB },
    ];
    const hosts = [{ name: "node", vcpus: 8, ramMiB: 32 * GiB + 512, count: 2 }];
    const plan = planCapacity({
      hosts,
      flavors,
      demand: [
        { flavor: "small", count: 4 },
        { flavor: "large", count: 3 },
      ],
    });
    expect(plan.hosts.map((h) => h.name)).to.deep.equal(["node-1", "node-2"]);
    // Each node: 32 vCPUs, 32 GiB. Large ones first: two per node would need 32 GiB → node-1 gets 2, node-2 gets 1,
    // then 4 small (8 GiB) go to node-2 (16 GiB left).
    expect(plan.placement?.fits).to.equal(true);
    expect(plan.placement?.perHost.map((h) => h.desktops)).to.deep.equal([{ large: 2 }, { large: 1, small: 4 }]);
    expect(plan.fitByFlavor).to.deep.equal([
      { flavor: "small", desktops: 32, limitedBy: "ram", employeesIfIdleShelved: 32 },
      { flavor: "large", desktops: 4, limitedBy: "ram", employeesIfIdleShelved: 4 },
    ]);
    const tooMany = planCapacity({
      hosts,
      flavors,
      demand: [
        { flavor: "large", count: 5 },
        { flavor: "small", count: 1 },
      ],
    });
    expect(tooMany.placement?.fits).to.equal(false);
    expect(tooMany.placement?.unplaced).to.deep.equal({ large: 1, small: 1 });
    const message = describeShortfall(tooMany);
    expect(message).to.contain("6 desktops need 42 vCPUs and 83968 MiB RAM");
    expect(message).to.contain("2 host(s) offer 64 vCPUs and 65536 MiB");
    expect(message).to.contain("1 × large, 1 × small do not fit");
    expect(message).to.contain("pausing frees nothing");
  });

  it("refuses bad input naming the field and value", () => {
    expect(() => planCapacity({ hosts: [], flavors: [SEED_FLAVOR] })).to.throw("at least one compute host");
    expect(() => planCapacity({ hosts: [{ vcpus: 0, ramMiB: 1 }], flavors: [SEED_FLAVOR] })).to.throw(
      "hosts[0].vcpus is 0",
    );
    expect(() => planCapacity({ hosts: [{ vcpus: 4, ramMiB: 512 }], flavors: [SEED_FLAVOR] })).to.throw(
      "reservedRamMiB 512",
    );
    expect(() =>
      planCapacity({ hosts: [SEED_HOST], flavors: [SEED_FLAVOR], demand: [{ flavor: "nope", count: 1 }] }),
    ).to.throw('flavor "nope" is not among');
    expect(() => planCapacity({ hosts: [SEED_HOST], flavors: [SEED_FLAVOR, SEED_FLAVOR] })).to.throw("listed twice");
    expect(() => planCapacity({ hosts: [SEED_HOST], flavors: [SEED_FLAVOR], ratios: { cpu: 0, ram: 1 } })).to.throw(
      "ratios.cpu is 0",
    );
  });

  it("counts GPUs: workstations claim their devices on one host, never overcommitted; the shortfall names GPUs", () => {
    // A notebooks lab: one CPU host and one host with two GPUs of alias "gpu".
    const cpuHost = { name: "lab-host", vcpus: 32, ramMiB: 128 * GiB };
    const gpuHost = { name: "gpu-host", vcpus: 32, ramMiB: 128 * GiB, gpus: [{ alias: "gpu", count: 2 }] };
    const notebook = { name: "m1.notebook", vcpus: 2, ramMiB: 4 * GiB };
    const gpuNotebook = { ...notebook, name: "notebook-gpu", gpus: [{ alias: "gpu", count: 1 }] };
    const plan = (gpus: number, notebooks = 30, hosts: object[] = [cpuHost, gpuHost]) =>
      planCapacity({
        hosts: hosts as never,
        flavors: [notebook, gpuNotebook],
        ratios: RATIO_PRESETS.nova,
        demand: [
          { flavor: "m1.notebook", count: notebooks },
          { flavor: "notebook-gpu", count: gpus },
        ],
      });
    const two = plan(2);
    expect(two.hosts.map((h) => h.gpus)).to.deep.equal([undefined, { gpu: 2 }]);
    // One flavor at a time: GPUs (not vCPUs or RAM) bound the GPU flavor to the host's two devices.
    expect(two.fitByFlavor[1]).to.include({ flavor: "notebook-gpu", desktops: 2, limitedBy: "gpu" });
    expect(two.fitByFlavor[0]).to.include({ flavor: "m1.notebook", limitedBy: "ram" });
    expect(two.placement).to.include({ fits: true });
    // The GPU workstations land on the GPU host; the others go to the host without GPUs first.
    expect(two.placement!.perHost.map((h) => [h.name, h.desktops, h.gpusUsed])).to.deep.equal([
      ["lab-host", { "m1.notebook": 30 }, undefined],
      ["gpu-host", { "notebook-gpu": 2 }, { gpu: 2 }],
    ]);
    expect(two.placement!.requested.gpus).to.deep.equal({ gpu: 2 });

    // A third GPU workstation: plenty of vCPUs and RAM, no free device. Limited by GPUs.
    const three = plan(3);
    expect(three.placement).to.include({ fits: false, limitedBy: "gpu" });
    expect(three.placement!.unplaced).to.deep.equal({ "notebook-gpu": 1 });
    const message = describeShortfall(three);
    expect(message).to.contain("33 desktops need 66 vCPUs and 135168 MiB RAM and 3 × gpu;");
    expect(message).to.contain("2 host(s) offer 256 vCPUs and 261120 MiB and 2 × gpu");
    expect(message).to.contain("Limited by GPUs: add GPU hosts or devices");
    // The GPUs exist but their host is full of other work: still GPUs (a workstation needs both on one host).
    const crowded = plan(2, 0, [{ ...gpuHost, ramMiB: 6 * GiB }, cpuHost]);
    expect(crowded.placement).to.include({ fits: false, limitedBy: "gpu" });
    // No host declares GPUs: a GPU flavor fits nowhere.
    const none = plan(1, 0, [cpuHost]);
    expect(none.fitByFlavor[1]).to.include({ desktops: 0, limitedBy: "gpu" });
    expect(none.placement).to.include({ fits: false, limitedBy: "gpu" });
    expect(() => hostCapacities([{ ...gpuHost, gpus: [{ alias: "gpu", count: 0 }] }], RATIO_PRESETS.nova)).to.throw(
      "hosts[0].gpus[0] (gpu).count is 0; it must be a positive whole number",
    );
    expect(() =>
      hostCapacities(
        [
          {
            ...gpuHost,
            gpus: [
              { alias: "gpu", count: 1 },
              { alias: "gpu", count: 1 },
            ],
          },
        ],
        RATIO_PRESETS.nova,
      ),
    ).to.throw('hosts[0].gpus[1]: alias "gpu" is listed twice');
  });

  it("counts disk: 200 desktops with 20 GiB root disks do not fit a 2 TB host, and the message says disk is the limit", () => {
    const host = { name: "office-host", vcpus: 64, ramMiB: 512 * GiB, diskGiB: 2000 };
    const flavor = { name: "m1.desktop", vcpus: 2, ramMiB: 2 * GiB, diskGiB: 20 };
    const plan = planCapacity({
      hosts: [host],
      flavors: [flavor],
      ratios: RATIO_PRESETS["seed-2017"],
      demand: [{ flavor: "m1.desktop", count: 200 }],
    });
    expect(plan.hosts[0].diskCapacityGiB).to.equal(2000);
    expect(plan.fitByFlavor[0]).to.include({ desktops: 100, limitedBy: "disk" });
    expect(plan.placement).to.include({ fits: false, limitedBy: "disk" });
    expect(plan.placement!.unplaced).to.deep.equal({ "m1.desktop": 100 });
    const message = describeShortfall(plan);
    expect(message).to.contain("200 desktops need 400 vCPUs and 409600 MiB RAM and 4000 GiB disk");
    expect(message).to.contain(
      "Limited by disk: add host disk, use smaller root disks, or boot the desktops from Cinder volumes",
    );
    // Reserved disk and the disk ratio count like Nova's reserved_host_disk_mb and disk_allocation_ratio.
    expect(
      hostCapacities([{ ...host, reservedDiskGiB: 100 }], { cpu: 4, ram: 1, disk: 1.5 })[0].diskCapacityGiB,
    ).to.equal(2850);
    // Booting from volumes (flavor disk 0) takes nothing from the host's disk; a host without diskGiB is not checked.
    expect(
      planCapacity({ hosts: [host], flavors: [{ ...flavor, diskGiB: 0 }], ratios: RATIO_PRESETS["seed-2017"] })
        .fitByFlavor[0],
    ).to.include({ desktops: 383, limitedBy: "ram" });
    expect(
      planCapacity({ hosts: [{ ...host, diskGiB: undefined }], flavors: [flavor], ratios: RATIO_PRESETS["seed-2017"] })
        .fitByFlavor[0].limitedBy,
    ).not.to.equal("disk");
    expect(() => hostCapacities([{ vcpus: 4, ramMiB: 8 * GiB, reservedDiskGiB: 10 }], RATIO_PRESETS.nova)).to.throw(
      "reservedDiskGiB is given without diskGiB",
    );
  });

  it("a concurrency factor serves more employees only if idle desktops are shelved; Placement still counts every unshelved desktop", () => {
    const plan = planCapacity({
      hosts: [SEED_HOST],
      flavors: [SEED_FLAVOR],
      ratios: RATIO_PRESETS["seed-2017"],
      concurrency: 0.6,
      demand: [{ flavor: "desktop-4c4g", count: 60 }],
    });
    expect(plan.concurrency).to.equal(0.6);
    expect(plan.fitByFlavor[0]).to.deep.equal({
      flavor: "desktop-4c4g",
      desktops: 48,
      limitedBy: "ram",
      employeesIfIdleShelved: 80,
    });
    // 60 unshelved desktops are 60 desktops to Placement, whoever is logged in.
    expect(plan.placement!.fits).to.equal(false);
    expect(() => planCapacity({ hosts: [SEED_HOST], flavors: [SEED_FLAVOR], concurrency: 1.5 })).to.throw(
      "concurrency is 1.5",
    );
    expect(() => planCapacity({ hosts: [SEED_HOST], flavors: [SEED_FLAVOR], concurrency: 0 })).to.throw(
      "above 0 and at most 1",
    );
  });

  it("tells Nova's history right: 16.0 / 1.5 until Zed (initial_* from Stein), 4.0 / 1.0 since 2023.1", () => {
    expect(RATIO_PRESETS.nova).to.deep.equal({ cpu: 4, ram: 1, disk: 1 });
    expect(RATIO_PRESETS["seed-2017"]).to.deep.equal({ cpu: 16, ram: 1.5, disk: 1 });
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    const source = fs.readFileSync(path.join(__dirname, "../../src/desktop/capacity.ts"), "utf8");
    const docs = fs.readFileSync(path.join(__dirname, "../../../../docs/desktop.md"), "utf8");
    for (const text of [source, docs]) {
      expect(text)
        .to.match(/Stein/)
        .and.match(/Zed/)
        .and.match(/2023\.1/);
      // The old, wrong story: 4.0/1.0 "since Stein", 16/1.5 "until/before Stein".
      expect(text).not.to.match(/since Stein|until Stein|pre-Stein|before Stein/i);
    }
  });

  it("compares costs like the seed: 48 desktops on one server vs 48 PCs", () => {
    const seed = compareCosts({
      employees: 48,
      desktopsPerServer: 48,
      pcPrice: 29790,
      serverPrice: 304300,
      thinClientPrice: 9812,
      currency: "INR",
    });
    expect(seed).to.deep.equal({
      employees: 48,
      servers: 1,
      pcs: 1429920,
      serversAndThinClients: 775276,
      savings: 654644,
      currency: "INR",
    });
    // The seed's 200 employees need 5 such servers (it extrapolated instead).
    const office = compareCosts({
      employees: 200,
      desktopsPerServer: 48,
      pcPrice: 29790,
      serverPrice: 304300,
      thinClientPrice: 9812,
    });
    expect(office).to.include({ servers: 5, pcs: 5958000, serversAndThinClients: 3483900, savings: 2474100 });
    expect(() =>
      compareCosts({ employees: 10, desktopsPerServer: 0, pcPrice: 1, serverPrice: 1, thinClientPrice: 1 }),
    ).to.throw("desktopsPerServer is 0");
  });
});
